// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IProtocolParams} from "./interfaces/IProtocolParams.sol";

/// @title Storage-node registry and staking
/// @notice A node host registers its libp2p peer id, endpoints, X25519 encryption key (key
/// keepers' shares are sealed to it), capacity and whether it offers the key-keeper role, and
/// stakes P2PV. A node is active while its stake is at least the governance minimum. Stake
/// leaves only through an unbonding period, during which it can still be slashed. Reputation and
/// slashing are applied by the audit role (the durability auditors) or by governance; slashed
/// stake goes to the treasury.
contract NodeRegistry is AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    uint16 public constant BPS = 10_000;
    uint16 public constant MAX_REPUTATION = 10_000;
    uint16 public constant INITIAL_REPUTATION = 5_000;
    uint256 public constant MAX_ENDPOINTS = 4;
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;
    uint256 public constant MAX_PEER_ID_LENGTH = 128;
    /// @notice Largest page `nodes()` returns.
    uint256 public constant MAX_PAGE = 100;

    IERC20 public immutable token;
    IProtocolParams public immutable params;

    /// @notice What the operator declares about its node.
    struct Profile {
        string peerId;
        string[] endpoints;
        bytes32 encryptionKey;
        uint64 capacity;
        bool keeper;
    }

    struct Node {
        // Slot 0
        uint128 stake;
        uint64 registeredAt;
        uint16 reputation;
        bool registered;
        // Slot 1
        uint128 unbonding;
        uint64 unbondingReadyAt;
        // The rest
        Profile profile;
    }

    mapping(address operator => Node) private _nodes;
    /// @notice keccak256(peer id) → the operator that registered it.
    mapping(bytes32 peerIdHash => address) public operatorOfPeer;
    address[] private _operators;
    mapping(address => bool) private _listed;

    event NodeRegistered(address indexed operator, string peerId, bytes32 encryptionKey, bool keeper, uint256 stake);
    event ProfileUpdated(
        address indexed operator, string peerId, string[] endpoints, bytes32 encryptionKey, uint64 capacity, bool keeper
    );
    event NodeDeregistered(address indexed operator);
    event StakeAdded(address indexed operator, uint256 amount, uint256 stake);
    event UnbondRequested(address indexed operator, uint256 amount, uint64 readyAt);
    event UnbondedWithdrawn(address indexed operator, uint256 amount);
    event ReputationSet(address indexed operator, uint16 reputation, address indexed by);
    event Slashed(address indexed operator, uint256 amount, bytes32 evidence, address indexed by);

    error ZeroAddress();
    error AlreadyRegistered(address operator);
    error UnknownNode(address operator);
    error PeerIdTaken(string peerId, address operator);
    error InvalidPeerId();
    error InvalidEndpoints();
    error InvalidEncryptionKey();
    error StakeBelowMinimum(uint256 stake, uint256 minStake);
    error InsufficientStake(uint256 stake, uint256 requested);
    error StakeNotWithdrawn(uint256 stake);
    error ZeroAmount();
    error NothingToWithdraw(address operator);
    error StillUnbonding(uint64 readyAt);
    error InvalidReputation(uint16 reputation);
    error NothingToSlash(address operator);
    error NotAuditorOrGovernance(address account);
    error InvalidPage(uint256 limit);

    constructor(address admin, IERC20 token_, IProtocolParams params_) {
        if (admin == address(0) || address(token_) == address(0) || address(params_) == address(0)) {
            revert ZeroAddress();
        }
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        token = token_;
        params = params_;
    }

    modifier onlyAuditorOrGovernance() {
        if (!hasRole(AUDITOR_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotAuditorOrGovernance(msg.sender);
        }
        _;
    }

    // ---- operators ----

    /// @notice Registers the caller's node with `stake` P2PV (approved to this contract first),
    /// at least the governance minimum.
    function register(Profile calldata profile, uint256 stake) external nonReentrant {
        Node storage n = _nodes[msg.sender];
        if (n.registered) revert AlreadyRegistered(msg.sender);
        uint256 total = n.stake + stake;
        uint256 min = params.minStake();
        if (total < min || total == 0) revert StakeBelowMinimum(total, min);
        _setProfile(n, profile);
        n.registered = true;
        n.registeredAt = uint64(block.timestamp);
        n.reputation = INITIAL_REPUTATION;
        n.stake = SafeCast.toUint128(total);
        if (!_listed[msg.sender]) {
            _listed[msg.sender] = true;
            _operators.push(msg.sender);
        }
        emit NodeRegistered(msg.sender, profile.peerId, profile.encryptionKey, profile.keeper, total);
        emit ProfileUpdated(
            msg.sender, profile.peerId, profile.endpoints, profile.encryptionKey, profile.capacity, profile.keeper
        );
        if (stake != 0) token.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @notice Changes the caller's peer id, endpoints, key, capacity or keeper flag.
    function updateProfile(Profile calldata profile) external {
        Node storage n = _registered(msg.sender);
        _setProfile(n, profile);
        emit ProfileUpdated(
            msg.sender, profile.peerId, profile.endpoints, profile.encryptionKey, profile.capacity, profile.keeper
        );
    }

    function addStake(uint256 amount) external nonReentrant {
        Node storage n = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 total = n.stake + amount;
        n.stake = SafeCast.toUint128(total);
        emit StakeAdded(msg.sender, amount, total);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` of the caller's stake. What remains must be zero (the
    /// node leaves) or at least the minimum. A new request restarts the clock for everything
    /// unbonding, so a node cannot stagger requests to shorten the slashable window.
    function requestUnbond(uint256 amount) external {
        Node storage n = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 stake = n.stake;
        if (amount > stake) revert InsufficientStake(stake, amount);
        uint256 remaining = stake - amount;
        uint256 min = params.minStake();
        if (remaining != 0 && remaining < min) revert StakeBelowMinimum(remaining, min);
        n.stake = uint128(remaining);
        n.unbonding = SafeCast.toUint128(n.unbonding + amount);
        uint64 readyAt = uint64(block.timestamp) + params.unbondingPeriod();
        n.unbondingReadyAt = readyAt;
        emit UnbondRequested(msg.sender, amount, readyAt);
    }

    /// @notice Pays out the caller's unbonded stake once the unbonding period is over.
    function withdrawUnbonded() external nonReentrant {
        Node storage n = _nodes[msg.sender];
        uint256 amount = n.unbonding;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < n.unbondingReadyAt) revert StillUnbonding(n.unbondingReadyAt);
        n.unbonding = 0;
        n.unbondingReadyAt = 0;
        emit UnbondedWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Removes the caller's node (its peer id becomes free). All stake must have been
    /// requested for unbonding first; the unbonding balance stays withdrawable.
    function deregister() external {
        Node storage n = _registered(msg.sender);
        if (n.stake != 0) revert StakeNotWithdrawn(n.stake);
        delete operatorOfPeer[keccak256(bytes(n.profile.peerId))];
        delete n.profile;
        n.registered = false;
        n.reputation = 0;
        n.registeredAt = 0;
        emit NodeDeregistered(msg.sender);
    }

    // ---- auditors and governance ----

    function setReputation(address operator, uint16 reputation) external onlyAuditorOrGovernance {
        Node storage n = _registered(operator);
        if (reputation > MAX_REPUTATION) revert InvalidReputation(reputation);
        n.reputation = reputation;
        emit ReputationSet(operator, reputation, msg.sender);
    }

    /// @notice Slashes the governance-set fraction of a node's stake (bonded and unbonding) for
    /// an offence documented by `evidence` (e.g. the hash of a failed audit's transcript).
    function slash(address operator, bytes32 evidence) external onlyAuditorOrGovernance nonReentrant {
        Node storage n = _nodes[operator];
        uint256 amount = (uint256(n.stake) + n.unbonding) * params.slashBps() / BPS;
        _slash(n, operator, amount, evidence);
    }

    /// @notice Governance only: slashes an exact amount (capped at what the node has).
    function slashAmount(address operator, uint256 amount, bytes32 evidence)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        nonReentrant
    {
        Node storage n = _nodes[operator];
        uint256 available = uint256(n.stake) + n.unbonding;
        _slash(n, operator, amount < available ? amount : available, evidence);
    }

    // ---- views ----

    function getNode(address operator) external view returns (Node memory) {
        return _nodes[operator];
    }

    /// @notice Registered with at least the current minimum stake.
    function isActive(address operator) external view returns (bool) {
        Node storage n = _nodes[operator];
        return n.registered && n.stake != 0 && n.stake >= params.minStake();
    }

    /// @notice Every operator that ever registered, in order (deregistered ones included).
    function nodeCount() external view returns (uint256) {
        return _operators.length;
    }

    /// @notice A page of operators: `limit` (at most MAX_PAGE) from `offset`.
    function nodes(uint256 offset, uint256 limit) external view returns (address[] memory page) {
        if (limit == 0 || limit > MAX_PAGE) revert InvalidPage(limit);
        uint256 len = _operators.length;
        if (offset >= len) return new address[](0);
        uint256 end = offset + limit > len ? len : offset + limit;
        page = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            page[i - offset] = _operators[i];
        }
    }

    // ---- internals ----

    function _registered(address operator) private view returns (Node storage n) {
        n = _nodes[operator];
        if (!n.registered) revert UnknownNode(operator);
    }

    function _slash(Node storage n, address operator, uint256 amount, bytes32 evidence) private {
        if (!n.registered && n.unbonding == 0) revert UnknownNode(operator);
        if (amount == 0) revert NothingToSlash(operator);
        uint256 fromStake = amount < n.stake ? amount : n.stake;
        n.stake -= uint128(fromStake);
        n.unbonding -= uint128(amount - fromStake);
        emit Slashed(operator, amount, evidence, msg.sender);
        token.safeTransfer(params.treasury(), amount);
    }

    function _setProfile(Node storage n, Profile calldata p) private {
        uint256 idLen = bytes(p.peerId).length;
        if (idLen == 0 || idLen > MAX_PEER_ID_LENGTH) revert InvalidPeerId();
        uint256 count = p.endpoints.length;
        if (count == 0 || count > MAX_ENDPOINTS) revert InvalidEndpoints();
        for (uint256 i; i < count; ++i) {
            uint256 len = bytes(p.endpoints[i]).length;
            if (len == 0 || len > MAX_ENDPOINT_LENGTH) revert InvalidEndpoints();
        }
        if (p.encryptionKey == bytes32(0)) revert InvalidEncryptionKey();
        bytes32 newHash = keccak256(bytes(p.peerId));
        address holder = operatorOfPeer[newHash];
        if (holder != address(0) && holder != msg.sender) revert PeerIdTaken(p.peerId, holder);
        if (n.registered) {
            bytes32 oldHash = keccak256(bytes(n.profile.peerId));
            if (oldHash != newHash) delete operatorOfPeer[oldHash];
        }
        operatorOfPeer[newHash] = msg.sender;
        n.profile = p;
    }
}
