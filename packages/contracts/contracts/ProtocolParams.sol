// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IProtocolParams} from "./interfaces/IProtocolParams.sol";

/// @title Protocol parameters
/// @notice Every tunable number of the protocol in one place, changed only by governance (the
/// timelock holds DEFAULT_ADMIN_ROLE). Contracts read a value when they use it, so a passed
/// proposal takes effect on the next call. Setters enforce bounds, so even a proposal cannot set
/// a split that does not add up or a slash above 100 %.
contract ProtocolParams is AccessControl, IProtocolParams {
    uint16 public constant BPS = 10_000;
    uint64 public constant MAX_UNBONDING_PERIOD = 365 days;
    /// @notice Reed–Solomon over GF(2^8): at most 256 blocks per stripe (k data + m parity).
    uint16 public constant MAX_STRIPE_BLOCKS = 256;

    // Slot 0: everything a purchase reads, so one SLOAD serves `split()`.
    address public treasury;
    uint16 public creatorBps;
    uint16 public nodePoolBps;
    uint16 public slashBps;
    /// @notice Default erasure coding of stored objects: k data blocks + m parity blocks per
    /// stripe (clients use it unless told otherwise; any k of the k + m rebuild a stripe).
    uint8 public defaultK;
    uint8 public defaultM;
    // Slot 1
    uint64 public unbondingPeriod;
    /// @notice Settlement weights (read by the settler, off chain): the part of an epoch's reward
    /// pool paid for storage (bytes × time × audit pass rate); the rest pays served bytes.
    uint16 public storageShareBps;
    /// @notice Audit pass rate below which a node earns nothing for storage that epoch.
    uint16 public minPassBps;
    // Slot 2
    uint256 public minStake;

    struct Init {
        address treasury;
        uint256 minStake;
        uint64 unbondingPeriod;
        uint16 creatorBps;
        uint16 nodePoolBps;
        uint16 slashBps;
        uint8 defaultK;
        uint8 defaultM;
        uint16 storageShareBps;
        uint16 minPassBps;
    }

    event MinStakeSet(uint256 minStake);
    event UnbondingPeriodSet(uint64 unbondingPeriod);
    event RevenueSplitSet(uint16 creatorBps, uint16 nodePoolBps, uint16 treasuryBps);
    event SlashBpsSet(uint16 slashBps);
    event ErasureDefaultsSet(uint8 k, uint8 m);
    event TreasurySet(address treasury);
    event SettlementWeightsSet(uint16 storageShareBps, uint16 minPassBps);

    error ZeroAddress();
    error InvalidSplit(uint256 creatorBps, uint256 nodePoolBps);
    error OutOfRange(uint256 value, uint256 min, uint256 max);
    error InvalidErasure(uint256 k, uint256 m);

    constructor(address admin, Init memory init) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(init.treasury);
        _setMinStake(init.minStake);
        _setUnbondingPeriod(init.unbondingPeriod);
        _setRevenueSplit(init.creatorBps, init.nodePoolBps);
        _setSlashBps(init.slashBps);
        _setErasureDefaults(init.defaultK, init.defaultM);
        _setSettlementWeights(init.storageShareBps, init.minPassBps);
    }

    /// @inheritdoc IProtocolParams
    function split() external view returns (uint16, uint16, address) {
        return (creatorBps, nodePoolBps, treasury);
    }

    /// @notice The treasury's share: what the creator and node pool do not receive.
    function treasuryBps() external view returns (uint16) {
        return BPS - creatorBps - nodePoolBps;
    }

    function setMinStake(uint256 value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinStake(value);
    }

    function setUnbondingPeriod(uint64 value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingPeriod(value);
    }

    /// @notice Creator and node-pool shares in basis points; the treasury gets the remainder.
    function setRevenueSplit(uint16 creator, uint16 nodePool) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRevenueSplit(creator, nodePool);
    }

    function setSlashBps(uint16 value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSlashBps(value);
    }

    /// @notice Both at once: their bound is joint (k ≥ 1, m ≥ 1, k + m ≤ MAX_STRIPE_BLOCKS).
    function setErasureDefaults(uint8 k, uint8 m) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setErasureDefaults(k, m);
    }

    /// @notice The default erasure coding in one read.
    function erasureDefaults() external view returns (uint8 k, uint8 m) {
        return (defaultK, defaultM);
    }

    function setTreasury(address value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(value);
    }

    /// @notice How the settler weighs an epoch: storage's share of the pool (the rest pays served
    /// bytes) and the minimum audit pass rate to earn for storage, both in basis points.
    function setSettlementWeights(uint16 storageShare, uint16 minPass) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSettlementWeights(storageShare, minPass);
    }

    /// @notice The settlement weights in one read.
    function settlementWeights() external view returns (uint16, uint16) {
        return (storageShareBps, minPassBps);
    }

    function _setMinStake(uint256 value) private {
        minStake = value;
        emit MinStakeSet(value);
    }

    function _setUnbondingPeriod(uint64 value) private {
        if (value > MAX_UNBONDING_PERIOD) revert OutOfRange(value, 0, MAX_UNBONDING_PERIOD);
        unbondingPeriod = value;
        emit UnbondingPeriodSet(value);
    }

    function _setRevenueSplit(uint16 creator, uint16 nodePool) private {
        if (uint256(creator) + nodePool > BPS) revert InvalidSplit(creator, nodePool);
        creatorBps = creator;
        nodePoolBps = nodePool;
        emit RevenueSplitSet(creator, nodePool, BPS - creator - nodePool);
    }

    function _setSlashBps(uint16 value) private {
        if (value > BPS) revert OutOfRange(value, 0, BPS);
        slashBps = value;
        emit SlashBpsSet(value);
    }

    function _setErasureDefaults(uint8 k, uint8 m) private {
        if (k == 0 || m == 0 || uint256(k) + m > MAX_STRIPE_BLOCKS) revert InvalidErasure(k, m);
        defaultK = k;
        defaultM = m;
        emit ErasureDefaultsSet(k, m);
    }

    function _setSettlementWeights(uint16 storageShare, uint16 minPass) private {
        if (storageShare > BPS) revert OutOfRange(storageShare, 0, BPS);
        if (minPass > BPS) revert OutOfRange(minPass, 0, BPS);
        storageShareBps = storageShare;
        minPassBps = minPass;
        emit SettlementWeightsSet(storageShare, minPass);
    }

    function _setTreasury(address value) private {
        if (value == address(0)) revert ZeroAddress();
        treasury = value;
        emit TreasurySet(value);
    }
}
