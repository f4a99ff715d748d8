// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

interface IWithdraw {
    function withdraw(address asset) external returns (uint256);
}

/// @notice Test only: a payee whose ETH receipt tries to withdraw again (reentrancy).
contract ReentrantPayee {
    IWithdraw public immutable target;
    bool public reentered;
    bytes public lastError;

    constructor(IWithdraw target_) {
        target = target_;
    }

    /// @notice Forwards a call from this contract (to buy, subscribe, claim… as a contract).
    function call(address to, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function withdrawFrom() external {
        target.withdraw(address(0));
    }

    receive() external payable {
        if (!reentered) {
            reentered = true;
            try target.withdraw(address(0)) {}
            catch (bytes memory err) {
                lastError = err;
            }
        }
    }
}

/// @notice Test only: refuses every ETH transfer.
contract RejectingPayee {
    function call(address to, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        revert("no ETH");
    }
}
