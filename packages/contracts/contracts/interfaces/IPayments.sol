// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

/// @notice A contract that owes balances which payees withdraw themselves (pull payments).
interface IPayments {
    function owed(address payee, address asset) external view returns (uint256);

    function withdraw(address asset) external returns (uint256);
}
