// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @notice Test only: an ERC-20 anyone can mint, for access conditions.
contract MintableERC20 is ERC20 {
    constructor() ERC20("Gate", "GATE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Test only: an ERC-721 anyone can mint, for access conditions.
contract MintableERC721 is ERC721 {
    constructor() ERC721("Pass", "PASS") {}

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }
}

/// @notice Test only: an ERC-1155 anyone can mint, for access conditions.
contract MintableERC1155 is ERC1155 {
    constructor() ERC1155("") {}

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}

/// @notice Test only: a token whose balanceOf misbehaves in the way `mode` says.
contract HostileToken {
    uint8 public constant REVERT = 0;
    uint8 public constant BURN_GAS = 1;
    uint8 public constant SHORT_ANSWER = 2;
    uint8 public constant HUGE_ANSWER = 3;
    uint8 public constant MAX_BALANCE = 4;

    uint8 public immutable mode;

    constructor(uint8 mode_) {
        mode = mode_;
    }

    fallback(bytes calldata) external returns (bytes memory) {
        if (mode == REVERT) revert("no balance for you");
        if (mode == BURN_GAS) {
            uint256 x;
            while (true) {
                x = uint256(keccak256(abi.encode(x)));
            }
        }
        if (mode == SHORT_ANSWER) return hex"01";
        if (mode == HUGE_ANSWER) {
            // A raw return of 64 KiB of 0xff bytes: the caller must not pay to copy it.
            assembly {
                mstore(0, not(0))
                return(0, 65536)
            }
        }
        // MAX_BALANCE: a well-formed answer, as the raw 32-byte word.
        assembly {
            mstore(0, not(0))
            return(0, 32)
        }
    }
}
