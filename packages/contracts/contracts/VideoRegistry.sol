// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IVideoRegistry, Policy} from "./interfaces/IVideoRegistry.sol";

/// @title Video registry
/// @notice Who owns a video and where its sealed manifest and public listing are. A video id is
/// 32 bytes the creator's client picks at random on first upload and keeps across re-keys; the
/// key fingerprint names the content key without revealing it (`keyFingerprint(K)` of the
/// core package). CIDs are stored as text (CIDv1, base32), the form clients and gateways use.
/// Only the owner or a delegate the owner approved may change a video; only the owner may hand
/// it to someone else. Moderators (the Licensing contract, after an upheld copyright claim) may
/// block a video, which closes access to everyone but its owner.
contract VideoRegistry is AccessControl, IVideoRegistry {
    bytes32 public constant MODERATOR_ROLE = keccak256("MODERATOR_ROLE");

    /// @notice Access policies (see the Policy library): free for everyone; pay per view or a grant;
    /// a live subscription to the owner or a grant; granted viewers only.
    uint8 public constant POLICY_PUBLIC = Policy.PUBLIC;
    uint8 public constant POLICY_PAID = Policy.PAID;
    uint8 public constant POLICY_SUBSCRIBERS = Policy.SUBSCRIBERS;
    uint8 public constant POLICY_PRIVATE = Policy.PRIVATE;

    /// @notice 0 unrated, 1 all ages, 2 age 13+, 3 age 16+, 4 adults only.
    uint8 public constant MAX_RATING = 4;
    /// @notice A CIDv1 of a SHA-256 block is 59 characters in base32; this leaves room for others.
    uint256 public constant MAX_CID_LENGTH = 128;

    struct Video {
        // One slot: everything an access check reads.
        address owner;
        uint64 registeredAt;
        uint8 policy;
        uint8 rating;
        bool retired;
        bool blocked;
        bytes32 keyFingerprint;
        string manifestCid;
        string listingCid;
    }

    mapping(bytes32 id => Video) private _videos;
    /// @inheritdoc IVideoRegistry
    mapping(address owner => mapping(address delegate => bool)) public isDelegate;
    uint256 public videoCount;
    /// @notice The CID of each account's latest signed channel profile ("" when none). Only the
    /// account itself can set it, so a profile reached from here is that account's latest word;
    /// readers still check the profile is signed by the account (docs/protocol.md).
    mapping(address creator => string cid) public profileOf;

    event VideoRegistered(
        bytes32 indexed id,
        address indexed owner,
        string manifestCid,
        string listingCid,
        bytes32 keyFingerprint,
        uint8 policy,
        uint8 rating
    );
    event VideoUpdated(bytes32 indexed id, string manifestCid, string listingCid, bytes32 keyFingerprint);
    event PolicyChanged(bytes32 indexed id, uint8 policy);
    event RatingChanged(bytes32 indexed id, uint8 rating);
    event VideoRetired(bytes32 indexed id);
    event VideoTransferred(bytes32 indexed id, address indexed from, address indexed to);
    event VideoBlocked(bytes32 indexed id, bool blocked, address indexed by);
    event DelegateSet(address indexed owner, address indexed delegate, bool approved);
    event ProfileUpdated(address indexed creator, string cid);

    error InvalidVideoId();
    error VideoAlreadyRegistered(bytes32 id);
    error UnknownVideo(bytes32 id);
    error NotVideoManager(bytes32 id, address account);
    error NotVideoOwner(bytes32 id, address account);
    error VideoIsRetired(bytes32 id);
    error InvalidCid();
    error InvalidFingerprint();
    error InvalidPolicy(uint8 policy);
    error InvalidRating(uint8 rating);
    error ZeroAddress();

    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Registers a new video owned by the caller. Reverts if the id is taken (ids are
    /// never reused, not even after retirement).
    function register(
        bytes32 id,
        string calldata manifestCid,
        string calldata listingCid,
        bytes32 keyFingerprint,
        uint8 policy,
        uint8 rating
    ) external {
        if (id == bytes32(0)) revert InvalidVideoId();
        if (_videos[id].owner != address(0)) revert VideoAlreadyRegistered(id);
        _checkContent(manifestCid, listingCid, keyFingerprint);
        if (policy > Policy.MAX) revert InvalidPolicy(policy);
        if (rating > MAX_RATING) revert InvalidRating(rating);
        Video storage v = _videos[id];
        v.owner = msg.sender;
        v.registeredAt = uint64(block.timestamp);
        v.policy = policy;
        v.rating = rating;
        v.keyFingerprint = keyFingerprint;
        v.manifestCid = manifestCid;
        v.listingCid = listingCid;
        unchecked {
            ++videoCount;
        }
        emit VideoRegistered(id, msg.sender, manifestCid, listingCid, keyFingerprint, policy, rating);
    }

    /// @notice Points the video at a new manifest, listing and key (after a re-encode or re-key).
    function update(bytes32 id, string calldata manifestCid, string calldata listingCid, bytes32 keyFingerprint)
        external
    {
        Video storage v = _manageable(id);
        _checkContent(manifestCid, listingCid, keyFingerprint);
        v.keyFingerprint = keyFingerprint;
        v.manifestCid = manifestCid;
        v.listingCid = listingCid;
        emit VideoUpdated(id, manifestCid, listingCid, keyFingerprint);
    }

    function setPolicy(bytes32 id, uint8 policy) external {
        Video storage v = _manageable(id);
        if (policy > Policy.MAX) revert InvalidPolicy(policy);
        v.policy = policy;
        emit PolicyChanged(id, policy);
    }

    function setRating(bytes32 id, uint8 rating) external {
        Video storage v = _manageable(id);
        if (rating > MAX_RATING) revert InvalidRating(rating);
        v.rating = rating;
        emit RatingChanged(id, rating);
    }

    /// @notice Takes the video down for good: access closes (except for the owner), nothing can
    /// change it any more, and its id stays taken.
    function retire(bytes32 id) external {
        Video storage v = _manageable(id);
        v.retired = true;
        emit VideoRetired(id);
    }

    /// @notice Hands the video to a new owner. Only the owner, not a delegate, may do this.
    function transferVideo(bytes32 id, address to) external {
        Video storage v = _videos[id];
        if (v.owner == address(0)) revert UnknownVideo(id);
        if (v.owner != msg.sender) revert NotVideoOwner(id, msg.sender);
        if (v.retired) revert VideoIsRetired(id);
        if (to == address(0)) revert ZeroAddress();
        v.owner = to;
        emit VideoTransferred(id, msg.sender, to);
    }

    /// @notice Lets `delegate` manage all of the caller's videos (update, policy, prices, grants),
    /// or stops it. Delegates cannot transfer videos or appoint other delegates.
    function setDelegate(address delegate, bool approved) external {
        if (delegate == address(0)) revert ZeroAddress();
        isDelegate[msg.sender][delegate] = approved;
        emit DelegateSet(msg.sender, delegate, approved);
    }

    /// @notice Points the caller's channel at a new signed profile block, or clears it with "".
    /// Delegates cannot: a profile speaks for the account.
    function setProfile(string calldata cid) external {
        if (bytes(cid).length > MAX_CID_LENGTH) revert InvalidCid();
        profileOf[msg.sender] = cid;
        emit ProfileUpdated(msg.sender, cid);
    }

    /// @inheritdoc IVideoRegistry
    function setBlocked(bytes32 id, bool blocked) external onlyRole(MODERATOR_ROLE) {
        Video storage v = _videos[id];
        if (v.owner == address(0)) revert UnknownVideo(id);
        v.blocked = blocked;
        emit VideoBlocked(id, blocked, msg.sender);
    }

    function getVideo(bytes32 id) external view returns (Video memory) {
        Video memory v = _videos[id];
        if (v.owner == address(0)) revert UnknownVideo(id);
        return v;
    }

    function ownerOf(bytes32 id) external view returns (address) {
        return _videos[id].owner;
    }

    /// @inheritdoc IVideoRegistry
    function accessInfo(bytes32 id) external view returns (address owner, uint8 policy, bool available) {
        Video storage v = _videos[id];
        return (v.owner, v.policy, !v.retired && !v.blocked);
    }

    /// @inheritdoc IVideoRegistry
    function canManage(bytes32 id, address account) public view returns (bool) {
        address owner = _videos[id].owner;
        return owner != address(0) && (owner == account || isDelegate[owner][account]);
    }

    function _manageable(bytes32 id) private view returns (Video storage v) {
        v = _videos[id];
        address owner = v.owner;
        if (owner == address(0)) revert UnknownVideo(id);
        if (owner != msg.sender && !isDelegate[owner][msg.sender]) revert NotVideoManager(id, msg.sender);
        if (v.retired) revert VideoIsRetired(id);
    }

    function _checkContent(string calldata manifestCid, string calldata listingCid, bytes32 keyFingerprint)
        private
        pure
    {
        uint256 m = bytes(manifestCid).length;
        if (m == 0 || m > MAX_CID_LENGTH || bytes(listingCid).length > MAX_CID_LENGTH) revert InvalidCid();
        if (keyFingerprint == bytes32(0)) revert InvalidFingerprint();
    }
}
