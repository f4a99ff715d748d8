// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title P2PV, the protocol token
/// @notice A fixed supply minted once, at deployment: genesis allocations to named holders and
/// the rest to the treasury (the governance timelock). There is no mint or burn function, so the
/// supply never changes. Votes are checkpointed by timestamp (ERC-6372 `mode=timestamp`), which
/// keeps governance periods in seconds on any chain, L2s included.
contract P2PVToken is ERC20, ERC20Permit, ERC20Votes {
    error ZeroAddress();
    error LengthMismatch(uint256 holders, uint256 amounts);
    error AllocationExceedsSupply(uint256 allocated, uint256 totalSupply);

    /// @param treasury receives `totalSupply_` minus the allocations
    /// @param holders genesis allocations (bounded by the deployer's calldata; runs once)
    constructor(address treasury, uint256 totalSupply_, address[] memory holders, uint256[] memory amounts)
        ERC20("P2PDEVIDEO", "P2PV")
        ERC20Permit("P2PDEVIDEO")
    {
        if (treasury == address(0)) revert ZeroAddress();
        if (holders.length != amounts.length) revert LengthMismatch(holders.length, amounts.length);
        uint256 allocated;
        for (uint256 i; i < holders.length; ++i) {
            allocated += amounts[i];
            _mint(holders[i], amounts[i]);
        }
        if (allocated > totalSupply_) revert AllocationExceedsSupply(allocated, totalSupply_);
        _mint(treasury, totalSupply_ - allocated);
    }

    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
