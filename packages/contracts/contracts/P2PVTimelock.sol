// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title The protocol's timelock and treasury
/// @notice Owns every protocol parameter and holds the treasury's P2PV and fees. Only the
/// governor proposes (and cancels); anyone may execute a queued operation once its delay passed.
contract P2PVTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
