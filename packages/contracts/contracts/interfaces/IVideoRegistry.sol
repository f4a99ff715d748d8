// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

/// @notice What other protocol contracts need to know about a registered video.
interface IVideoRegistry {
    /// @return owner the video's owner (zero when the id is not registered)
    /// @return policy the access policy (see VideoRegistry's POLICY_* constants)
    /// @return available false once the video is retired or blocked by a moderator
    function accessInfo(bytes32 id) external view returns (address owner, uint8 policy, bool available);

    /// @notice The owner, or a delegate the owner approved, may manage the video.
    function canManage(bytes32 id, address account) external view returns (bool);

    function isDelegate(address owner, address delegate) external view returns (bool);

    function setBlocked(bytes32 id, bool blocked) external;
}

/// @notice Access policies a video can have (stored as uint8 in the registry).
library Policy {
    /// @notice Free for everyone.
    uint8 internal constant PUBLIC = 0;
    /// @notice Pay per view (price set in the AccessManager), or a grant.
    uint8 internal constant PAID = 1;
    /// @notice A live subscription to the owner, or a grant.
    uint8 internal constant SUBSCRIBERS = 2;
    /// @notice Named viewers the owner granted, nobody else.
    uint8 internal constant PRIVATE = 3;
    uint8 internal constant MAX = 3;
}
