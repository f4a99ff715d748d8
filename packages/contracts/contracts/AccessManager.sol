// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IVideoRegistry, Policy} from "./interfaces/IVideoRegistry.sol";
import {IProtocolParams} from "./interfaces/IProtocolParams.sol";
import {IPayments} from "./interfaces/IPayments.sol";

/// @title Access and payments
/// @notice Who may watch a video: viewers the owner granted, viewers who paid (for good or for a
/// while), and subscribers of the owner, each according to the video's policy in the registry.
/// Key keepers release content-key shares only when `hasAccess(video, viewer)` is true.
///
/// Payments are in ETH or P2PV. Each one is split at once between the video's owner, the storage
/// nodes' reward pool and the treasury, in basis points governance sets, and credited to their
/// balances here; payees withdraw themselves (pull payments), so a payee that cannot receive
/// never blocks a sale. Overpaid ETH is credited back to the payer the same way.
///
/// A creator may offer refunds: with a refund window set (`setRefundWindow`), a sale is held in
/// escrow, not split, until the window closes; within it the payer may `refund` (credited what it
/// paid, the viewer's access back to what it was), after it anyone may `release` the sale to the
/// split. Escrowed money is never owed to the creator, so a refund can never take back what a
/// creator already withdrew. The contract's balance of each asset always equals `totalOwed` plus
/// `totalEscrowed` of that asset.
///
/// A video may also carry a **condition** (`setCondition`): up to MAX_CLAUSES clauses joined by
/// one combinator (all of them, or any of them), each "holds at least N of an ERC-20", "holds at
/// least N tokens of an ERC-721 collection", "holds at least N of an ERC-1155 id" or "now is
/// within [notBefore, notAfter)". Whoever satisfies it may watch, whatever the policy (it opens
/// the video beside grants, payments and subscriptions; others can still buy a paid one).
/// Token contracts are untrusted: each is asked with a staticcall capped at CLAUSE_GAS gas and
/// reading at most 32 bytes back, and one that reverts, runs out of gas or answers short counts
/// as "not held" — it can never make hasAccess revert.
contract AccessManager is ReentrancyGuardTransient, IPayments {
    using SafeERC20 for IERC20;

    /// @notice The asset address that stands for ether.
    address public constant ETH = address(0);
    uint16 public constant BPS = 10_000;
    /// @notice Access that never expires.
    uint64 public constant FOREVER = type(uint64).max;
    /// @notice Longest time-limited purchase, and longest subscription period.
    uint64 public constant MAX_DURATION = 3650 days;
    /// @notice Subscription periods bought in one call.
    uint32 public constant MAX_PERIODS = 120;
    /// @notice Longest refund window a creator may offer.
    uint32 public constant MAX_REFUND_WINDOW = 30 days;
    /// @notice Sales released in one `release` call.
    uint256 public constant MAX_RELEASE_BATCH = 100;
    /// @notice Clauses in one video's condition.
    uint8 public constant MAX_CLAUSES = 4;
    /// @notice Gas each token query of a condition may use (a balanceOf behind a proxy uses < 15 000).
    uint256 public constant CLAUSE_GAS = 40_000;

    /// @notice Clause kinds.
    uint8 public constant CLAUSE_ERC20 = 1;
    uint8 public constant CLAUSE_ERC721 = 2;
    uint8 public constant CLAUSE_ERC1155 = 3;
    uint8 public constant CLAUSE_TIME = 4;

    IVideoRegistry public immutable registry;
    IProtocolParams public immutable params;
    IERC20 public immutable token;
    address public immutable rewardPool;

    /// @dev amount 0 = not for sale; duration 0 = permanent access; refundWindow 0 = no refunds
    /// (set apart from the price, kept when the price changes).
    struct Price {
        uint128 amount;
        uint64 duration;
        bool inToken;
        uint32 refundWindow;
    }

    /// @dev A refundable sale, held until `refundableUntil`. `previousUntil` is the viewer's paid
    /// access before it, restored by a refund. Two slots.
    struct Escrow {
        address payer;
        uint64 refundableUntil;
        uint128 amount;
        uint64 previousUntil;
        bool inToken;
    }

    /// @dev amount 0 = no plan.
    struct Plan {
        uint128 amount;
        uint64 period;
        bool inToken;
    }

    /// @dev ERC20/ERC721: token and min (id, notBefore, notAfter zero). ERC1155: token, id, min.
    /// TIME: notBefore <= now < notAfter (token, id, min zero). Three storage slots.
    struct Clause {
        uint8 kind;
        address token;
        uint64 notBefore;
        uint256 id;
        uint128 min;
        uint64 notAfter;
    }

    /// @dev count 0 = no condition. Clauses past `count` are stale and never read.
    struct Condition {
        uint8 count;
        bool any;
        Clause[MAX_CLAUSES] clauses;
    }

    mapping(bytes32 video => Price) private _prices;
    mapping(bytes32 video => Condition) private _conditions;
    mapping(address creator => Plan) private _plans;
    mapping(bytes32 video => mapping(address viewer => bool)) public isGranted;
    /// @notice When paid access ends (FOREVER for a permanent purchase, 0 for none).
    mapping(bytes32 video => mapping(address viewer => uint64)) public paidUntil;
    mapping(address creator => mapping(address subscriber => uint64)) public subscribedUntil;
    /// @inheritdoc IPayments
    mapping(address payee => mapping(address asset => uint256)) public owed;
    mapping(address asset => uint256) public totalOwed;
    mapping(bytes32 video => mapping(address viewer => Escrow)) private _escrows;
    /// @notice Sales of `asset` held in refund windows, owed to nobody yet.
    mapping(address asset => uint256) public totalEscrowed;

    event Granted(bytes32 indexed video, address indexed viewer, address indexed by);
    event Revoked(bytes32 indexed video, address indexed viewer, address indexed by);
    event PriceSet(bytes32 indexed video, address asset, uint256 amount, uint64 duration);
    event PlanSet(address indexed creator, address asset, uint256 amount, uint64 period);
    event Purchased(
        bytes32 indexed video, address indexed viewer, address indexed payer, address asset, uint256 amount, uint64 until
    );
    event Subscribed(
        address indexed creator,
        address indexed subscriber,
        address indexed payer,
        address asset,
        uint256 amount,
        uint64 until
    );
    event Refunded(address indexed payer, uint256 amount);
    event RefundWindowSet(bytes32 indexed video, uint32 window);
    /// @notice A sale held in escrow until `refundableUntil` (beside its Purchased event).
    event Escrowed(bytes32 indexed video, address indexed viewer, address indexed owner, uint256 amount, uint64 refundableUntil);
    event PurchaseRefunded(bytes32 indexed video, address indexed viewer, address indexed payer, address asset, uint256 amount);
    event EscrowReleased(bytes32 indexed video, address indexed viewer, address asset, uint256 amount);
    /// @notice A video's condition, replacing any earlier one; `any` = OR, else AND.
    event ConditionSet(bytes32 indexed video, address indexed by, bool any, Clause[] clauses);
    event ConditionCleared(bytes32 indexed video, address indexed by);
    event Withdrawn(address indexed payee, address indexed asset, uint256 amount);

    error ZeroAddress();
    error UnknownVideo(bytes32 video);
    error NotVideoManager(bytes32 video, address account);
    error NotCreatorOrDelegate(address creator, address account);
    error UnsupportedAsset(address asset);
    error InvalidDuration(uint64 duration);
    error AmountTooLarge(uint256 amount);
    error NotForSale(bytes32 video);
    error AlreadyPaid(bytes32 video, address viewer);
    error TermsChanged(uint256 amount, uint64 duration);
    error NoSubscriptionPlan(address creator);
    error InvalidPeriods(uint32 periods);
    error InsufficientPayment(uint256 required, uint256 sent);
    error UnexpectedValue(uint256 sent);
    error NothingToWithdraw(address payee, address asset);
    error TransferFailed(address to, uint256 amount);
    /// @notice 1 to MAX_CLAUSES clauses.
    error InvalidClauseCount(uint256 count);
    /// @notice Clause `index` is malformed: unknown kind, zero token, zero minimum, an empty
    /// time window, or fields its kind does not use set.
    error InvalidClause(uint256 index);
    error InvalidRefundWindow(uint32 window);
    /// @notice No sale to `viewer` held for refund that the caller paid, or its window closed.
    error NotRefundable(bytes32 video, address viewer);
    error InvalidBatch(uint256 videos, uint256 viewers);

    constructor(IVideoRegistry registry_, IProtocolParams params_, IERC20 token_, address rewardPool_) {
        if (
            address(registry_) == address(0) || address(params_) == address(0) || address(token_) == address(0)
                || rewardPool_ == address(0)
        ) revert ZeroAddress();
        registry = registry_;
        params = params_;
        token = token_;
        rewardPool = rewardPool_;
    }

    // ---- access ----

    /// @notice True when `viewer` may obtain the content key of `video` now. The owner always
    /// may; nobody else once the video is retired or blocked. Otherwise a grant always counts;
    /// a public video is open to all; a live payment counts whatever the policy is now (a
    /// purchase survives a switch to private or subscribers-only); otherwise a private one is
    /// open to grantees only, and a live subscription to the owner opens subscribers-only.
    function hasAccess(bytes32 video, address viewer) external view returns (bool) {
        (address owner, uint8 policy, bool available) = registry.accessInfo(video);
        if (owner == address(0)) return false;
        if (viewer == owner) return true;
        if (!available) return false;
        if (isGranted[video][viewer]) return true;
        if (policy == Policy.PUBLIC) return true;
        // What a viewer paid for outlives later policy changes (paid -> private or
        // subscribers-only): the owner cannot take a sale back, only retirement or a block can.
        if (paidUntil[video][viewer] > block.timestamp) return true;
        if (policy == Policy.SUBSCRIBERS && subscribedUntil[owner][viewer] > block.timestamp) return true;
        // Last: the only rule that calls other contracts, reached only when the cheap ones fail.
        return conditionMet(video, viewer);
    }

    // ---- conditions ----

    /// @notice Sets the video's condition (replacing any earlier one): holders of what it names
    /// may watch. `any` joins the clauses with OR, otherwise with AND.
    function setCondition(bytes32 video, bool any, Clause[] calldata clauses) external {
        _checkManager(video);
        uint256 n = clauses.length;
        if (n == 0 || n > MAX_CLAUSES) revert InvalidClauseCount(n);
        Condition storage c = _conditions[video];
        for (uint256 i; i < n; ++i) {
            Clause calldata cl = clauses[i];
            if (!_validClause(cl)) revert InvalidClause(i);
            c.clauses[i] = cl;
        }
        c.count = uint8(n);
        c.any = any;
        emit ConditionSet(video, msg.sender, any, clauses);
    }

    function clearCondition(bytes32 video) external {
        _checkManager(video);
        delete _conditions[video];
        emit ConditionCleared(video, msg.sender);
    }

    /// @return any true when one clause suffices (OR), false when all must hold (AND)
    /// @return clauses empty when the video has no condition
    function conditionOf(bytes32 video) external view returns (bool any, Clause[] memory clauses) {
        Condition storage c = _conditions[video];
        clauses = new Clause[](c.count);
        for (uint256 i; i < clauses.length; ++i) clauses[i] = c.clauses[i];
        return (c.any, clauses);
    }

    /// @notice Whether `viewer` satisfies the video's condition now (false when it has none).
    /// Policy, retirement and blocks are hasAccess's business, not this one's.
    function conditionMet(bytes32 video, address viewer) public view returns (bool) {
        Condition storage c = _conditions[video];
        uint256 n = c.count;
        if (n == 0) return false;
        bool any = c.any;
        for (uint256 i; i < n; ++i) {
            // Short-circuits: OR stops at the first clause that holds, AND at the first that fails.
            if (_clauseHolds(c.clauses[i], viewer) == any) return any;
        }
        return !any;
    }

    function _validClause(Clause calldata cl) private pure returns (bool) {
        uint8 k = cl.kind;
        if (k == CLAUSE_TIME) {
            return cl.token == address(0) && cl.id == 0 && cl.min == 0 && cl.notBefore < cl.notAfter;
        }
        if (k < CLAUSE_ERC20 || k > CLAUSE_ERC1155) return false;
        if (cl.token == address(0) || cl.min == 0 || cl.notBefore != 0 || cl.notAfter != 0) return false;
        return k == CLAUSE_ERC1155 || cl.id == 0;
    }

    function _clauseHolds(Clause storage cl, address viewer) private view returns (bool) {
        uint8 k = cl.kind;
        if (k == CLAUSE_TIME) return cl.notBefore <= block.timestamp && block.timestamp < cl.notAfter;
        bytes memory data = k == CLAUSE_ERC1155
            ? abi.encodeWithSelector(0x00fdd58e, viewer, cl.id) // balanceOf(address,uint256)
            : abi.encodeWithSelector(0x70a08231, viewer); // balanceOf(address)
        return _balanceOf(cl.token, data) >= cl.min;
    }

    /// @dev A bounded query of an untrusted contract: at most CLAUSE_GAS gas, and only the first
    /// 32 bytes of its answer are copied (a huge answer costs the caller nothing). A revert, an
    /// exhausted gas cap, an address without code or a short answer all read as 0.
    function _balanceOf(address target, bytes memory data) private view returns (uint256 held) {
        bool ok;
        uint256 size;
        assembly ("memory-safe") {
            ok := staticcall(CLAUSE_GAS, target, add(data, 32), mload(data), 0, 32)
            size := returndatasize()
            held := mload(0)
        }
        if (!ok || size < 32) return 0;
    }

    /// @notice Gives `viewer` access regardless of the policy (except after retirement or a block).
    function grant(bytes32 video, address viewer) external {
        _checkManager(video);
        if (viewer == address(0)) revert ZeroAddress();
        isGranted[video][viewer] = true;
        emit Granted(video, viewer, msg.sender);
    }

    /// @notice Withdraws a grant. What a viewer paid for is not revocable.
    function revoke(bytes32 video, address viewer) external {
        _checkManager(video);
        isGranted[video][viewer] = false;
        emit Revoked(video, viewer, msg.sender);
    }

    // ---- pay per view ----

    /// @param asset ETH (address 0) or the P2PV token
    /// @param amount 0 takes the video off sale
    /// @param duration seconds of access per purchase; 0 = permanent
    function setPrice(bytes32 video, address asset, uint256 amount, uint64 duration) external {
        _checkManager(video);
        bool inToken = _checkAsset(asset);
        if (amount > type(uint128).max) revert AmountTooLarge(amount);
        if (duration > MAX_DURATION) revert InvalidDuration(duration);
        _prices[video] = Price(uint128(amount), duration, inToken, _prices[video].refundWindow);
        emit PriceSet(video, asset, amount, duration);
    }

    /// @notice Seconds after a sale during which its payer may take it back (0: no refunds).
    /// Applies to later sales; each sale keeps the window it was made under. A window longer
    /// than a rental lets a buyer watch it all and still refund: the creator's choice.
    function setRefundWindow(bytes32 video, uint32 window) external {
        _checkManager(video);
        if (window > MAX_REFUND_WINDOW) revert InvalidRefundWindow(window);
        _prices[video].refundWindow = window;
        emit RefundWindowSet(video, window);
    }

    function refundWindowOf(bytes32 video) external view returns (uint32) {
        return _prices[video].refundWindow;
    }

    function priceOf(bytes32 video) external view returns (address asset, uint256 amount, uint64 duration) {
        Price memory p = _prices[video];
        return (p.inToken ? address(token) : ETH, p.amount, p.duration);
    }

    /// @notice Pays for `viewer`'s access to a paid video (anyone may pay for anyone). ETH prices
    /// are paid with the call's value (overpayment is credited back to the payer); P2PV prices
    /// are pulled with transferFrom, so the payer approves this contract first. A time-limited
    /// purchase extends a live one. The buyer states the terms it saw (at most `maxAmount`, for
    /// exactly `duration`), so an owner cannot change them between submission and inclusion.
    /// @return until when the access ends (FOREVER for permanent access)
    function buy(bytes32 video, address viewer, uint256 maxAmount, uint64 duration)
        external
        payable
        nonReentrant
        returns (uint64 until)
    {
        if (viewer == address(0)) revert ZeroAddress();
        (address owner, uint8 policy, bool available) = registry.accessInfo(video);
        if (owner == address(0)) revert UnknownVideo(video);
        Price memory p = _prices[video];
        if (!available || policy != Policy.PAID || p.amount == 0) revert NotForSale(video);
        if (p.amount > maxAmount || p.duration != duration) revert TermsChanged(p.amount, p.duration);
        uint64 current = paidUntil[video][viewer];
        if (current == FOREVER) revert AlreadyPaid(video, viewer);
        until = p.duration == 0 ? FOREVER : _extend(current, p.duration);
        paidUntil[video][viewer] = until;
        address asset = p.inToken ? address(token) : ETH;
        emit Purchased(video, viewer, msg.sender, asset, p.amount, until);
        if (p.refundWindow == 0) {
            _settle(owner, asset, p.amount);
            return until;
        }
        // Refundable: held until the window closes. A new purchase for the same viewer ends the
        // refund right of the one before (released to the split now), so one escrow is open.
        if (_escrows[video][viewer].amount != 0) _release(video, viewer);
        uint64 refundableUntil = uint64(block.timestamp) + p.refundWindow;
        _escrows[video][viewer] = Escrow(msg.sender, refundableUntil, p.amount, current, p.inToken);
        totalEscrowed[asset] += p.amount;
        emit Escrowed(video, viewer, owner, p.amount, refundableUntil);
        _collect(asset, p.amount);
    }

    // ---- refunds ----

    /// @notice Takes back a refundable purchase within its window. Only its payer may; the payer
    /// is credited what it paid (`withdraw` it), and the viewer's paid access returns to what it
    /// was before the purchase. Content keys a keeper already released cannot be recalled.
    function refund(bytes32 video, address viewer) external returns (uint256 amount) {
        Escrow memory e = _escrows[video][viewer];
        if (e.amount == 0 || e.payer != msg.sender || block.timestamp >= e.refundableUntil) {
            revert NotRefundable(video, viewer);
        }
        delete _escrows[video][viewer];
        paidUntil[video][viewer] = e.previousUntil;
        address asset = e.inToken ? address(token) : ETH;
        totalEscrowed[asset] -= e.amount;
        _credit(msg.sender, asset, e.amount);
        emit PurchaseRefunded(video, viewer, msg.sender, asset, e.amount);
        return e.amount;
    }

    /// @notice Pays out held sales whose refund window has closed (anyone may call): each is
    /// split as a sale is, to the video's owner now. Pairs not held or still refundable are skipped.
    /// @return released how many were paid out
    function release(bytes32[] calldata videos, address[] calldata viewers) external returns (uint256 released) {
        if (videos.length != viewers.length || videos.length > MAX_RELEASE_BATCH) {
            revert InvalidBatch(videos.length, viewers.length);
        }
        for (uint256 i; i < videos.length; ++i) {
            Escrow storage e = _escrows[videos[i]][viewers[i]];
            if (e.amount == 0 || block.timestamp < e.refundableUntil) continue;
            _release(videos[i], viewers[i]);
            ++released;
        }
    }

    /// @return payer who paid (zero when nothing is held)
    function escrowOf(bytes32 video, address viewer)
        external
        view
        returns (address payer, address asset, uint256 amount, uint64 refundableUntil)
    {
        Escrow memory e = _escrows[video][viewer];
        return (e.payer, e.inToken ? address(token) : ETH, e.amount, e.refundableUntil);
    }

    // ---- subscriptions ----

    /// @notice Sets the caller's (or, for a delegate, the creator's) subscription plan: `amount`
    /// per `period` seconds. Amount 0 ends new subscriptions; live ones run to their expiry.
    function setPlan(address creator, address asset, uint256 amount, uint64 period) external {
        if (msg.sender != creator && !registry.isDelegate(creator, msg.sender)) {
            revert NotCreatorOrDelegate(creator, msg.sender);
        }
        bool inToken = _checkAsset(asset);
        if (amount > type(uint128).max) revert AmountTooLarge(amount);
        if (amount != 0 && (period == 0 || period > MAX_DURATION)) revert InvalidDuration(period);
        _plans[creator] = Plan(uint128(amount), period, inToken);
        emit PlanSet(creator, asset, amount, period);
    }

    function planOf(address creator) external view returns (address asset, uint256 amount, uint64 period) {
        Plan memory p = _plans[creator];
        return (p.inToken ? address(token) : ETH, p.amount, p.period);
    }

    /// @notice Subscribes (or renews) `subscriber` to `creator` for `periods` periods at the
    /// current plan's price; a renewal extends a live subscription from its expiry. As with
    /// `buy`, the subscriber states the plan it saw: at most `maxAmount` per `period` seconds.
    function subscribe(address creator, address subscriber, uint32 periods, uint256 maxAmount, uint64 period)
        external
        payable
        nonReentrant
        returns (uint64 until)
    {
        if (subscriber == address(0)) revert ZeroAddress();
        Plan memory plan = _plans[creator];
        if (plan.amount == 0) revert NoSubscriptionPlan(creator);
        if (plan.amount > maxAmount || plan.period != period) revert TermsChanged(plan.amount, plan.period);
        if (periods == 0 || periods > MAX_PERIODS) revert InvalidPeriods(periods);
        uint256 amount = uint256(plan.amount) * periods;
        until = _extend(subscribedUntil[creator][subscriber], uint256(plan.period) * periods);
        subscribedUntil[creator][subscriber] = until;
        address asset = plan.inToken ? address(token) : ETH;
        emit Subscribed(creator, subscriber, msg.sender, asset, amount, until);
        _settle(creator, asset, amount);
    }

    // ---- balances ----

    /// @inheritdoc IPayments
    function withdraw(address asset) external nonReentrant returns (uint256 amount) {
        _checkAsset(asset);
        amount = owed[msg.sender][asset];
        if (amount == 0) revert NothingToWithdraw(msg.sender, asset);
        owed[msg.sender][asset] = 0;
        totalOwed[asset] -= amount;
        emit Withdrawn(msg.sender, asset, amount);
        if (asset == ETH) {
            (bool ok,) = msg.sender.call{value: amount}("");
            if (!ok) revert TransferFailed(msg.sender, amount);
        } else {
            token.safeTransfer(msg.sender, amount);
        }
    }

    // ---- internals ----

    /// @dev Takes `amount` of `asset` from the caller and credits the owner, the node pool and
    /// the treasury. Called last: every state change of the caller is already written.
    function _settle(address owner, address asset, uint256 amount) private {
        _split(owner, asset, amount);
        _collect(asset, amount);
    }

    function _split(address owner, address asset, uint256 amount) private {
        (uint16 creatorBps, uint16 nodePoolBps, address treasury) = params.split();
        uint256 toCreator = amount * creatorBps / BPS;
        uint256 toPool = amount * nodePoolBps / BPS;
        _credit(owner, asset, toCreator);
        _credit(rewardPool, asset, toPool);
        _credit(treasury, asset, amount - toCreator - toPool);
    }

    /// @dev Moves an escrowed sale to the split, at the split and owner of now.
    function _release(bytes32 video, address viewer) private {
        Escrow storage e = _escrows[video][viewer];
        uint256 amount = e.amount;
        address asset = e.inToken ? address(token) : ETH;
        delete _escrows[video][viewer];
        totalEscrowed[asset] -= amount;
        (address owner,,) = registry.accessInfo(video);
        _split(owner, asset, amount);
        emit EscrowReleased(video, viewer, asset, amount);
    }

    /// @dev Takes `amount` of `asset` from the caller (ETH: the call's value, the excess credited back).
    function _collect(address asset, uint256 amount) private {
        if (asset == ETH) {
            if (msg.value < amount) revert InsufficientPayment(amount, msg.value);
            uint256 excess = msg.value - amount;
            if (excess != 0) {
                _credit(msg.sender, ETH, excess);
                emit Refunded(msg.sender, excess);
            }
        } else {
            if (msg.value != 0) revert UnexpectedValue(msg.value);
            token.safeTransferFrom(msg.sender, address(this), amount);
        }
    }

    function _credit(address payee, address asset, uint256 amount) private {
        if (amount == 0) return;
        owed[payee][asset] += amount;
        totalOwed[asset] += amount;
    }

    /// @dev Extends from the later of now and `current`; capped below FOREVER.
    function _extend(uint64 current, uint256 duration) private view returns (uint64) {
        uint256 start = current > block.timestamp ? current : block.timestamp;
        uint256 end = start + duration;
        return end >= FOREVER ? FOREVER - 1 : uint64(end);
    }

    function _checkManager(bytes32 video) private view {
        if (!registry.canManage(video, msg.sender)) {
            (address owner,,) = registry.accessInfo(video);
            if (owner == address(0)) revert UnknownVideo(video);
            revert NotVideoManager(video, msg.sender);
        }
    }

    function _checkAsset(address asset) private view returns (bool inToken) {
        if (asset == ETH) return false;
        if (asset == address(token)) return true;
        revert UnsupportedAsset(asset);
    }
}
