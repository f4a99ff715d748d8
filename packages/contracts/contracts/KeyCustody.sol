// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {IVideoRegistry} from "./interfaces/IVideoRegistry.sol";

/// @title Key custody
/// @notice Which keepers hold the shares of a video's content key, how many of them a viewer
/// needs (t of n), and the share epoch; and, per keeper, the latest anchored head of its
/// hash-chained release log. The key itself never comes near the chain: shares are sealed to the
/// keepers off chain, and the registry holds only the key's fingerprint.
/// @dev Kept apart from the VideoRegistry so custody can evolve (or move to another contract)
/// without touching ownership records. Only whoever may manage the video in the registry (its
/// owner or an approved delegate) sets custody, and each new custody must carry a newer epoch:
/// keepers drop the shares of older epochs, so an old keeper set can never be brought back.
contract KeyCustody {
    /// @notice Keepers per video; every viewer asks them all, so the set stays small.
    uint256 public constant MAX_KEEPERS = 32;
    uint8 public constant MIN_THRESHOLD = 2;

    IVideoRegistry public immutable registry;

    struct Custody {
        uint32 epoch;
        uint8 threshold;
        address[] keepers;
    }

    struct Anchor {
        /// @notice Log entries the head covers.
        uint64 length;
        uint64 anchoredAt;
        bytes32 head;
    }

    mapping(bytes32 video => Custody) private _custody;
    /// @notice The latest anchored log head of each keeper.
    mapping(address keeper => Anchor) public anchors;

    event CustodySet(bytes32 indexed video, uint32 epoch, uint8 threshold, address[] keepers, address indexed by);
    event LogAnchored(address indexed keeper, uint64 length, bytes32 head);

    error ZeroAddress();
    error NotVideoManager(bytes32 video, address account);
    error StaleEpoch(bytes32 video, uint32 current, uint32 proposed);
    error InvalidKeeperSet();
    error InvalidThreshold(uint8 threshold, uint256 keepers);
    error AnchorNotNewer(uint64 current, uint64 proposed);

    constructor(IVideoRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
    }

    /// @notice Records who holds the shares of `video` at `epoch` (greater than any before).
    function setCustody(bytes32 video, uint32 epoch, uint8 threshold, address[] calldata keepers) external {
        if (!registry.canManage(video, msg.sender)) revert NotVideoManager(video, msg.sender);
        Custody storage c = _custody[video];
        if (c.keepers.length != 0 && epoch <= c.epoch) revert StaleEpoch(video, c.epoch, epoch);
        uint256 n = keepers.length;
        if (n < MIN_THRESHOLD || n > MAX_KEEPERS) revert InvalidKeeperSet();
        if (threshold < MIN_THRESHOLD || threshold > n) revert InvalidThreshold(threshold, n);
        for (uint256 i = 0; i < n; ++i) {
            if (keepers[i] == address(0)) revert InvalidKeeperSet();
            for (uint256 j = 0; j < i; ++j) {
                if (keepers[j] == keepers[i]) revert InvalidKeeperSet();
            }
        }
        c.epoch = epoch;
        c.threshold = threshold;
        c.keepers = keepers;
        emit CustodySet(video, epoch, threshold, keepers, msg.sender);
    }

    /// @return epoch the share epoch (keepers holding an older one hold nothing useful)
    /// @return threshold shares needed to rebuild the key
    /// @return keepers who hold a share (empty when the video has no keepers)
    function custodyOf(bytes32 video) external view returns (uint32 epoch, uint8 threshold, address[] memory keepers) {
        Custody storage c = _custody[video];
        return (c.epoch, c.threshold, c.keepers);
    }

    /// @notice A keeper anchors the head of its release log. Logs only grow, so each anchor must
    /// cover more entries than the last; a verifier checks the log against every anchor (events).
    function anchor(uint64 length, bytes32 head) external {
        Anchor storage a = anchors[msg.sender];
        if (length <= a.length) revert AnchorNotNewer(a.length, length);
        a.length = length;
        a.anchoredAt = uint64(block.timestamp);
        a.head = head;
        emit LogAnchored(msg.sender, length, head);
    }
}
