// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IVideoRegistry} from "./interfaces/IVideoRegistry.sol";

/// @title Licensing and copyright claims
/// @notice License terms per video, and a notice-and-counter-notice process for copyright
/// claims: anyone files a claim with evidence; the video's owner may answer with a counter
/// notice; an arbiter (a role governance grants) resolves it. An upheld claim blocks the video
/// in the registry, which closes access to everyone but its owner. Filing a claim changes
/// nothing by itself, so a false claim cannot take a video down without an arbiter.
///
///   Open ──counterNotice──► Countered
///   Open | Countered ──resolve(upheld)──► Upheld (video blocked)
///   Open | Countered ──resolve(rejected)──► Rejected
///   Open | Countered ──withdrawClaim──► Withdrawn
contract Licensing is AccessControl {
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");

    /// @notice 0 all rights reserved; 1 CC BY; 2 CC BY-SA; 3 CC BY-NC; 4 CC BY-NC-SA; 5 CC BY-ND;
    /// 6 CC BY-NC-ND; 7 CC0; 8 custom terms (see the terms document).
    uint8 public constant MAX_LICENSE = 8;
    uint256 public constant MAX_CID_LENGTH = 128;

    uint8 public constant STATE_NONE = 0;
    uint8 public constant STATE_OPEN = 1;
    uint8 public constant STATE_COUNTERED = 2;
    uint8 public constant STATE_UPHELD = 3;
    uint8 public constant STATE_REJECTED = 4;
    uint8 public constant STATE_WITHDRAWN = 5;

    IVideoRegistry public immutable registry;

    struct Terms {
        uint8 license;
        string termsCid;
    }

    struct Claim {
        bytes32 video;
        address claimant;
        uint8 state;
        uint64 openedAt;
        uint64 updatedAt;
        string evidenceCid;
        string counterCid;
        string resolutionCid;
    }

    mapping(bytes32 video => Terms) private _terms;
    mapping(uint256 claimId => Claim) private _claims;
    uint256 public claimCount;

    event TermsSet(bytes32 indexed video, uint8 license, string termsCid);
    event ClaimFiled(uint256 indexed claimId, bytes32 indexed video, address indexed claimant, string evidenceCid);
    event CounterNoticeFiled(uint256 indexed claimId, address indexed by, string counterCid);
    event ClaimWithdrawn(uint256 indexed claimId);
    event ClaimResolved(uint256 indexed claimId, bool upheld, address indexed arbiter, string resolutionCid);

    error ZeroAddress();
    error UnknownVideo(bytes32 video);
    error NotVideoManager(bytes32 video, address account);
    error VideoUnavailable(bytes32 video);
    error InvalidLicense(uint8 license);
    error InvalidCid();
    error OwnerCannotClaim(bytes32 video);
    error UnknownClaim(uint256 claimId);
    error InvalidClaimState(uint256 claimId, uint8 state);
    error NotClaimant(uint256 claimId, address account);

    constructor(address admin, IVideoRegistry registry_) {
        if (admin == address(0) || address(registry_) == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        registry = registry_;
    }

    // ---- license terms ----

    function setTerms(bytes32 video, uint8 license, string calldata termsCid) external {
        _checkManager(video);
        if (license > MAX_LICENSE) revert InvalidLicense(license);
        if (bytes(termsCid).length > MAX_CID_LENGTH) revert InvalidCid();
        _terms[video] = Terms(license, termsCid);
        emit TermsSet(video, license, termsCid);
    }

    function termsOf(bytes32 video) external view returns (Terms memory) {
        return _terms[video];
    }

    // ---- claims ----

    /// @notice Files a copyright claim against an available video; `evidenceCid` names the
    /// claimant's (public) evidence document.
    function fileClaim(bytes32 video, string calldata evidenceCid) external returns (uint256 claimId) {
        (address owner,, bool available) = registry.accessInfo(video);
        if (owner == address(0)) revert UnknownVideo(video);
        if (!available) revert VideoUnavailable(video);
        if (owner == msg.sender) revert OwnerCannotClaim(video);
        _checkCid(evidenceCid, false);
        claimId = ++claimCount;
        Claim storage c = _claims[claimId];
        c.video = video;
        c.claimant = msg.sender;
        c.state = STATE_OPEN;
        c.openedAt = uint64(block.timestamp);
        c.updatedAt = uint64(block.timestamp);
        c.evidenceCid = evidenceCid;
        emit ClaimFiled(claimId, video, msg.sender, evidenceCid);
    }

    /// @notice The video's owner (or delegate) answers an open claim.
    function counterNotice(uint256 claimId, string calldata counterCid) external {
        Claim storage c = _claim(claimId);
        if (c.state != STATE_OPEN) revert InvalidClaimState(claimId, c.state);
        if (!registry.canManage(c.video, msg.sender)) revert NotVideoManager(c.video, msg.sender);
        _checkCid(counterCid, false);
        c.state = STATE_COUNTERED;
        c.updatedAt = uint64(block.timestamp);
        c.counterCid = counterCid;
        emit CounterNoticeFiled(claimId, msg.sender, counterCid);
    }

    function withdrawClaim(uint256 claimId) external {
        Claim storage c = _claim(claimId);
        if (c.claimant != msg.sender) revert NotClaimant(claimId, msg.sender);
        if (c.state != STATE_OPEN && c.state != STATE_COUNTERED) revert InvalidClaimState(claimId, c.state);
        c.state = STATE_WITHDRAWN;
        c.updatedAt = uint64(block.timestamp);
        emit ClaimWithdrawn(claimId);
    }

    /// @notice The arbiter's decision. Upholding blocks the video in the registry (this contract
    /// holds the registry's moderator role); lifting a block later is governance's call.
    function resolve(uint256 claimId, bool upheld, string calldata resolutionCid) external onlyRole(ARBITER_ROLE) {
        Claim storage c = _claim(claimId);
        if (c.state != STATE_OPEN && c.state != STATE_COUNTERED) revert InvalidClaimState(claimId, c.state);
        _checkCid(resolutionCid, true);
        c.state = upheld ? STATE_UPHELD : STATE_REJECTED;
        c.updatedAt = uint64(block.timestamp);
        c.resolutionCid = resolutionCid;
        emit ClaimResolved(claimId, upheld, msg.sender, resolutionCid);
        if (upheld) registry.setBlocked(c.video, true);
    }

    function getClaim(uint256 claimId) external view returns (Claim memory) {
        return _claim(claimId);
    }

    // ---- internals ----

    function _claim(uint256 claimId) private view returns (Claim storage c) {
        c = _claims[claimId];
        if (c.state == STATE_NONE) revert UnknownClaim(claimId);
    }

    function _checkManager(bytes32 video) private view {
        if (!registry.canManage(video, msg.sender)) {
            (address owner,,) = registry.accessInfo(video);
            if (owner == address(0)) revert UnknownVideo(video);
            revert NotVideoManager(video, msg.sender);
        }
    }

    function _checkCid(string calldata cid, bool mayBeEmpty) private pure {
        uint256 len = bytes(cid).length;
        if ((len == 0 && !mayBeEmpty) || len > MAX_CID_LENGTH) revert InvalidCid();
    }
}
