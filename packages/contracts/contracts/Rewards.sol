// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IPayments} from "./interfaces/IPayments.sol";

/// @title Node rewards
/// @notice The storage nodes' reward pool. It receives the node share of every payment (pulled
/// from the AccessManager with `collect`) and any ETH or P2PV sent to it. Off chain, the
/// settlement role computes each node's earnings for an epoch (from audits and served bytes) and
/// posts one Merkle root with the epoch's totals, which must be covered by unallocated funds.
/// Each node then claims its own leaf with a proof. Nothing on chain loops over nodes.
///
/// Leaves are `keccak256(bytes.concat(keccak256(abi.encode(epoch, node, ethAmount, tokenAmount))))`
/// in a tree of sorted pairs (OpenZeppelin StandardMerkleTree layout); the epoch inside the leaf
/// keeps a proof from being replayed against another epoch.
contract Rewards is AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    address public constant ETH = address(0);

    IERC20 public immutable token;

    struct Epoch {
        bytes32 root;
        uint128 ethTotal;
        uint128 tokenTotal;
        uint128 ethClaimed;
        uint128 tokenClaimed;
        uint64 postedAt;
    }

    mapping(uint64 epoch => Epoch) private _epochs;
    mapping(uint64 epoch => mapping(address node => bool)) public claimed;
    /// @notice The number of the next epoch to post; epochs are numbered 0, 1, 2…
    uint64 public nextEpoch;
    /// @notice Posted but not yet claimed, per asset: funds that belong to nodes.
    uint256 public ethAllocated;
    uint256 public tokenAllocated;

    event Funded(address indexed from, address indexed asset, uint256 amount);
    event EpochPosted(uint64 indexed epoch, bytes32 root, uint256 ethTotal, uint256 tokenTotal);
    event Claimed(uint64 indexed epoch, address indexed node, uint256 ethAmount, uint256 tokenAmount);

    error ZeroAddress();
    error WrongEpoch(uint64 expected, uint64 got);
    error EmptyRoot();
    error InsufficientPool(address asset, uint256 available, uint256 requested);
    error UnknownEpoch(uint64 epoch);
    error AlreadyClaimed(uint64 epoch, address node);
    error InvalidProof();
    error EpochOverclaimed(uint64 epoch);
    error TransferFailed(address to, uint256 amount);

    constructor(address admin, IERC20 token_) {
        if (admin == address(0) || address(token_) == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        token = token_;
    }

    receive() external payable {
        emit Funded(msg.sender, ETH, msg.value);
    }

    /// @notice Pulls the pool's balances from a payments contract (the AccessManager). Anyone may
    /// call it; the funds can only land here. (ETH arrives through `receive`, which logs it.)
    function collect(IPayments source) external nonReentrant returns (uint256 eth, uint256 tokens) {
        if (source.owed(address(this), ETH) != 0) {
            uint256 before = address(this).balance;
            source.withdraw(ETH);
            eth = address(this).balance - before;
        }
        if (source.owed(address(this), address(token)) != 0) {
            uint256 before = token.balanceOf(address(this));
            source.withdraw(address(token));
            tokens = token.balanceOf(address(this)) - before;
        }
        if (tokens != 0) emit Funded(address(source), address(token), tokens);
    }

    /// @notice Funds not yet promised to any epoch.
    function available() public view returns (uint256 eth, uint256 tokens) {
        return (address(this).balance - ethAllocated, token.balanceOf(address(this)) - tokenAllocated);
    }

    /// @notice Posts the next epoch's earnings root. Its totals are set aside from the pool, so
    /// claims can never take more than was posted.
    function postEpoch(uint64 epoch, bytes32 root, uint128 ethTotal, uint128 tokenTotal)
        external
        onlyRole(SETTLER_ROLE)
    {
        if (epoch != nextEpoch) revert WrongEpoch(nextEpoch, epoch);
        if (root == bytes32(0)) revert EmptyRoot();
        (uint256 eth, uint256 tokens) = available();
        if (ethTotal > eth) revert InsufficientPool(ETH, eth, ethTotal);
        if (tokenTotal > tokens) revert InsufficientPool(address(token), tokens, tokenTotal);
        _epochs[epoch] = Epoch(root, ethTotal, tokenTotal, 0, 0, uint64(block.timestamp));
        ethAllocated += ethTotal;
        tokenAllocated += tokenTotal;
        nextEpoch = epoch + 1;
        emit EpochPosted(epoch, root, ethTotal, tokenTotal);
    }

    /// @notice Pays `node` its earnings for `epoch` (anyone may submit the proof; the funds go
    /// to the node). Each node's leaf is paid at most once.
    function claim(uint64 epoch, address node, uint128 ethAmount, uint128 tokenAmount, bytes32[] calldata proof)
        external
        nonReentrant
    {
        Epoch storage e = _epochs[epoch];
        if (e.root == bytes32(0)) revert UnknownEpoch(epoch);
        if (claimed[epoch][node]) revert AlreadyClaimed(epoch, node);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(epoch, node, ethAmount, tokenAmount))));
        if (!MerkleProof.verifyCalldata(proof, e.root, leaf)) revert InvalidProof();
        uint256 ethClaimed = uint256(e.ethClaimed) + ethAmount;
        uint256 tokenClaimed = uint256(e.tokenClaimed) + tokenAmount;
        // A root whose leaves add up to more than its posted totals cannot drain other epochs.
        if (ethClaimed > e.ethTotal || tokenClaimed > e.tokenTotal) revert EpochOverclaimed(epoch);
        claimed[epoch][node] = true;
        e.ethClaimed = uint128(ethClaimed);
        e.tokenClaimed = uint128(tokenClaimed);
        ethAllocated -= ethAmount;
        tokenAllocated -= tokenAmount;
        emit Claimed(epoch, node, ethAmount, tokenAmount);
        if (tokenAmount != 0) token.safeTransfer(node, tokenAmount);
        if (ethAmount != 0) {
            (bool ok,) = node.call{value: ethAmount}("");
            if (!ok) revert TransferFailed(node, ethAmount);
        }
    }

    function getEpoch(uint64 epoch) external view returns (Epoch memory) {
        return _epochs[epoch];
    }
}
