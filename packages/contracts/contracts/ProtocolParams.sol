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
    uint8 public constant MAX_REPLICATION = 16;

    // Slot 0: everything a purchase reads, so one SLOAD serves `split()`.
    address public treasury;
    uint16 public creatorBps;
    uint16 public nodePoolBps;
    uint16 public slashBps;
    uint8 public defaultReplication;
    // Slot 1
    uint64 public unbondingPeriod;
    // Slot 2
    uint256 public minStake;

    struct Init {
        address treasury;
        uint256 minStake;
        uint64 unbondingPeriod;
        uint16 creatorBps;
        uint16 nodePoolBps;
        uint16 slashBps;
        uint8 defaultReplication;
    }

    event MinStakeSet(uint256 minStake);
    event UnbondingPeriodSet(uint64 unbondingPeriod);
    event RevenueSplitSet(uint16 creatorBps, uint16 nodePoolBps, uint16 treasuryBps);
    event SlashBpsSet(uint16 slashBps);
    event DefaultReplicationSet(uint8 defaultReplication);
    event TreasurySet(address treasury);

    error ZeroAddress();
    error InvalidSplit(uint256 creatorBps, uint256 nodePoolBps);
    error OutOfRange(uint256 value, uint256 min, uint256 max);

    constructor(address admin, Init memory init) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(init.treasury);
        _setMinStake(init.minStake);
        _setUnbondingPeriod(init.unbondingPeriod);
        _setRevenueSplit(init.creatorBps, init.nodePoolBps);
        _setSlashBps(init.slashBps);
        _setDefaultReplication(init.defaultReplication);
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

    function setDefaultReplication(uint8 value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDefaultReplication(value);
    }

    function setTreasury(address value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(value);
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

    function _setDefaultReplication(uint8 value) private {
        if (value == 0 || value > MAX_REPLICATION) revert OutOfRange(value, 1, MAX_REPLICATION);
        defaultReplication = value;
        emit DefaultReplicationSet(value);
    }

    function _setTreasury(address value) private {
        if (value == address(0)) revert ZeroAddress();
        treasury = value;
        emit TreasurySet(value);
    }
}
