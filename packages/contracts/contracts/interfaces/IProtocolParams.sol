// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

/// @notice The governance-owned protocol parameters, as the other contracts read them.
interface IProtocolParams {
    function minStake() external view returns (uint256);

    function unbondingPeriod() external view returns (uint64);

    function slashBps() external view returns (uint16);

    function treasury() external view returns (address);

    /// @notice The revenue split in one read: creator and node-pool shares in basis points (the
    /// treasury receives the rest) and the treasury address.
    function split() external view returns (uint16 creatorBps, uint16 nodePoolBps, address treasury);
}
