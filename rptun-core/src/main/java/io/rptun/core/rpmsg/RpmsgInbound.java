package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VringBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The receive side of a device: takes RX buffers from the ring into an inbox, checks each header (the
 * peer is untrusted), and routes each message to the name service or its endpoint's listener, in arrival
 * order. Used only by the thread that holds the device's dispatch lock.
 *
 * <p>While a callback on that thread waits for a TX buffer, {@link #drainToBacklog} copies what arrives
 * (and what still waits in the inbox) to a bounded backlog and gives the RX buffers back at once, so a
 * peer whose own callback waits for them can go on; the backlog is dispatched first afterwards, so the
 * order stays the order of arrival.
 */
final class RpmsgInbound {
    /** A message copied out of its RX buffer while a callback waited for a TX buffer. */
    private record Copied(int src, int dst, byte[] payload) {
    }

    private final RpmsgDevice device;
    private final EndpointRegistry registry;
    private final RpmsgNameService nameService;
    private final int rxBatch;
    private final VringBuffer[] inbox;
    private final int inboxMask;
    /** RX buffers done with during this pass, given back together by {@link #flushReturns}. */
    private final VringBuffer[] returns;
    private int returnCount;
    private int inboxHead;
    private int inboxTail;
    private final ArrayDeque<Copied> backlog = new ArrayDeque<>();
    private final int backlogLimit;
    /** True while the backlog may hold messages (set as they are copied there, cleared once it is found empty). */
    private boolean backlogged;
    /**
     * The last endpoint look-up (dispatch-lock holder only): its table, address and result. Tables are
     * immutable and replaced on every change, so the same table and address give the same endpoint: a run
     * of messages to one endpoint costs one hash look-up.
     */
    private EndpointTable lastTable = EndpointTable.EMPTY;
    private int lastDst = RpmsgAddresses.NS_ADDR;
    private @Nullable RpmsgEndpoint lastEndpoint;
    private final VirtqueuePort.Receiver toInbox = this::toInbox;
    private static final VarHandle RECEIVED;
    private static final VarHandle RECEIVED_BYTES;

    static {
        try {
            RECEIVED = MethodHandles.lookup().findVarHandle(RpmsgInbound.class, "received", long.class);
            RECEIVED_BYTES = MethodHandles.lookup().findVarHandle(RpmsgInbound.class, "receivedBytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Written only by the dispatch-lock holder (a release store, no read-modify-write); read by stats(). */
    @SuppressWarnings("unused") // accessed through RECEIVED
    private long received;
    /** Payload bytes of those messages; written and read like {@link #received}. */
    @SuppressWarnings("unused") // accessed through RECEIVED_BYTES
    private long receivedBytes;
    /** The message object of the last delivery, when its callback kept no reference: reused for the next. */
    private @Nullable RpmsgMessage spare;
    /** The endpoint whose onMessage runs now (dispatch-lock holder only), or null. */
    private @Nullable RpmsgEndpoint dispatching;
    /** A send timeout already reported for {@link #dispatching}: not counted again if the callback lets it escape. */
    private @Nullable Throwable reported;
    /** True while the head of the backlog or inbox waits for an endpoint whose delivery is paused. */
    private volatile boolean blocked;

    RpmsgInbound(RpmsgDevice device, EndpointRegistry registry, RpmsgNameService nameService, int rxNum,
            int rxBatch) {
        this.device = device;
        this.registry = registry;
        this.nameService = nameService;
        this.rxBatch = rxBatch;
        this.inbox = new VringBuffer[Integer.highestOneBit(Math.max(2, rxNum) * 2 - 1)];
        this.inboxMask = inbox.length - 1;
        this.returns = new VringBuffer[inbox.length];
        this.backlogLimit = 4 * inbox.length;
    }

    /** Well-formed messages taken so far (name-service messages included). */
    long received() {
        return (long) RECEIVED.getAcquire(this);
    }

    /** Payload bytes of the well-formed messages taken so far. */
    long receivedBytes() {
        return (long) RECEIVED_BYTES.getAcquire(this);
    }

    /**
     * Dispatches what waits, then takes and dispatches what the peer sent, up to a budget of four rings'
     * worth, and publishes the returned buffers.
     *
     * <p>The buffers a batch delivered go back before the next batch is taken, not at the end of the pass:
     * a peer that answers each message (a ping-pong) keeps the pass going, and buffers held until its end
     * would run the peer out of buffers to send with, all of them stuck here while it waits.
     *
     * @return buffers handled (delivered or dropped)
     * @throws io.rptun.core.virtio.VringException if the ring is corrupt
     */
    int serve(RpmsgLink l) {
        int handled = dispatchInbox(l);
        int budget = 4 * inbox.length;
        while (handled < budget && !blocked && device.state() == RpmsgDevice.State.READY) {
            if (returnCount > 0) {
                flushReturns(l);
            }
            // A look at the peer's index first: taking the ring to find nothing costs two atomic instructions,
            // and a pass that served a ping-pong's one message ends with exactly that look.
            if (!l.rx().hasInbound()) {
                break;
            }
            int room = inbox.length - (inboxTail - inboxHead);
            if (l.rx().receive(toInbox, Math.min(rxBatch, room)) == 0) {
                break;
            }
            handled += dispatchInbox(l);
        }
        if (returnCount > 0) {
            flushReturns(l);
        }
        return handled;
    }

    /**
     * Queues an RX buffer this thread is done with to go back to the peer with the others of this batch, in
     * one publish ({@link VirtqueuePort#submitAll}): the device is each one's only holder, since a message
     * comes back here only once its callback returned unheld.
     */
    private void giveBack(VringBuffer b) {
        if (returnCount == returns.length) {
            RpmsgLink l = device.readyLinkOrNull();
            if (l != null) {
                flushReturns(l);
            } else {
                Arrays.fill(returns, null);
                returnCount = 0;
            }
        }
        returns[returnCount++] = b;
    }

    /**
     * Gives back what {@link #giveBack} queued, in one publication. Nothing else needs publishing here: a thread
     * that gives back a held message publishes it itself, or leaves it to whoever holds the ring, which does.
     *
     * @throws VringException if the ring is corrupt (the caller breaks the device)
     */
    private void flushReturns(RpmsgLink l) {
        int n = returnCount;
        returnCount = 0;
        if (n == 0) {
            return; // what other threads give back they publish themselves (or leave to the ring's holder)
        }
        if (device.state() != RpmsgDevice.State.READY) {
            Arrays.fill(returns, 0, n, null);
            return; // the rings are gone or no longer ours to write
        }
        try {
            l.rx().submitAll(returns, n); // clears the slots it took
        } catch (RuntimeException | Error e) {
            Arrays.fill(returns, 0, n, null);
            throw e;
        }
    }

    private void toInbox(VringBuffer buffer) {
        inbox[inboxTail++ & inboxMask] = buffer;
    }

    /**
     * Dispatches, in arrival order, everything copied to the backlog and then everything in the inbox.
     * Stops at a message for an endpoint whose delivery is paused: it stays at the head, and so does
     * everything behind it (the rings are shared, and order is kept), until that endpoint resumes.
     */
    private int dispatchInbox(RpmsgLink l) {
        int n = 0;
        blocked = false;
        while (true) {
            while (backlogged) {
                Copied c = backlog.peekFirst();
                if (c == null) {
                    backlogged = false;
                    break;
                }
                RpmsgEndpoint target = endpointFor(c.dst());
                if (isPaused(target)) {
                    blocked = true;
                    return n;
                }
                backlog.pollFirst();
                route(l, c.src(), c.dst(), c.payload().length, MemorySegment.ofArray(c.payload()), 0, null, target);
                n++;
            }
            // A callback that waits for a TX buffer copies what arrives meanwhile (and what waits in the inbox)
            // to the backlog: after each delivery, that comes first.
            while (!backlogged) {
                if (inboxHead == inboxTail) {
                    return n;
                }
                VringBuffer b = inbox[inboxHead & inboxMask];
                int len = validate(b);
                if (len >= 0) {
                    MemorySegment seg = b.segment();
                    int dst = RpmsgHeaderLayout.dst(seg);
                    RpmsgEndpoint target = endpointFor(dst);
                    if (isPaused(target)) {
                        blocked = true;
                        return n;
                    }
                    takeInbox();
                    route(l, RpmsgHeaderLayout.src(seg), dst, len, seg, RpmsgHeaderLayout.SIZE, b, target);
                } else {
                    takeInbox();
                }
                n++;
            }
        }
    }

    /**
     * The endpoint a message to {@code dst} goes to, or null for the name service: one hash look-up per run of
     * messages to the same endpoint (see {@link #lastTable}).
     */
    private @Nullable RpmsgEndpoint endpointFor(int dst) {
        if (dst == RpmsgAddresses.NS_ADDR) {
            return null;
        }
        EndpointTable t = registry.table();
        if (t != lastTable || dst != lastDst) {
            lastEndpoint = t.get(dst);
            lastDst = dst;
            lastTable = t;
        }
        return lastEndpoint;
    }

    private static boolean isPaused(@Nullable RpmsgEndpoint ep) {
        return ep != null && ep.isDeliveryPaused() && !ep.isDestroyed();
    }

    /**
     * True while dispatch waits for a paused endpoint: the serving thread then has nothing to do until
     * {@link RpmsgEndpoint#resumeDelivery()} wakes it, even though the ring holds messages.
     */
    boolean isBlocked() {
        return blocked;
    }

    private @Nullable VringBuffer takeInbox() {
        if (inboxHead == inboxTail) {
            return null;
        }
        int slot = inboxHead & inboxMask;
        VringBuffer b = inbox[slot];
        inbox[slot] = null;
        inboxHead++;
        return b;
    }

    /** {@code hdr.len} of an RX buffer, or -1 when the header is malformed (the buffer is then dropped and returned). */
    private int validate(VringBuffer b) {
        MemorySegment seg = b.segment();
        long capacity = b.capacity();
        if (capacity < RpmsgHeaderLayout.SIZE) {
            device.drop(Reason.SHORT_BUFFER, "a " + capacity + "-byte buffer cannot hold the 16-byte rpmsg header", null);
            giveBack(b);
            return -1;
        }
        int len = RpmsgHeaderLayout.len(seg);
        if (RpmsgHeaderLayout.SIZE + len > capacity) {
            device.drop(Reason.LENGTH_BEYOND_BUFFER, "hdr.len=" + len + " from " + RpmsgAddresses.format(RpmsgHeaderLayout.src(seg))
                    + " to " + RpmsgAddresses.format(RpmsgHeaderLayout.dst(seg)) + " runs past its " + capacity
                    + "-byte buffer", null);
            giveBack(b);
            return -1;
        }
        return len;
    }

    /**
     * While a callback on this thread waits for a TX buffer: copies what the peer sent (first whatever waits
     * in the inbox) to the backlog, in order, and gives the RX buffers back at once, so a peer whose own
     * callback waits for them can go on. Dispatch order is unchanged: the backlog is dispatched first once
     * the callback returns. Bounded by {@code backlogLimit} messages.
     *
     * @return true if any buffer went back to the peer
     */
    boolean drainToBacklog(RpmsgLink l) {
        boolean progress = false;
        while (backlog.size() < backlogLimit && device.state() == RpmsgDevice.State.READY) {
            VringBuffer b = takeInbox();
            if (b == null) {
                if (returnCount > 0) {
                    progress = true;
                    flushReturns(l); // as in serve: back before taking more, the peer may be waiting for them
                }
                int room = Math.min(inbox.length, backlogLimit - backlog.size());
                if (l.rx().receive(toInbox, Math.min(rxBatch, room)) == 0) {
                    break;
                }
                continue;
            }
            progress = true;
            int len = validate(b);
            if (len < 0) {
                continue;
            }
            MemorySegment seg = b.segment();
            byte[] payload = new byte[len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, RpmsgHeaderLayout.SIZE, payload, 0, len);
            backlog.addLast(new Copied(RpmsgHeaderLayout.src(seg), RpmsgHeaderLayout.dst(seg), payload));
            backlogged = true;
            giveBack(b);
        }
        // Always: the buffers of the messages this pass dispatched before the waiting callback are queued here
        // too, and the peer may be waiting for exactly those.
        if (returnCount > 0) {
            progress = true;
        }
        flushReturns(l);
        return progress;
    }

    /**
     * A send from inside the running onMessage timed out waiting for a TX buffer: reported as a failure of
     * that endpoint's callback whether or not the callback catches it (once, even if it escapes). A send of
     * the device's own on this thread outside any onMessage (a name-service answer) is not a callback's.
     */
    void sendTimedOut(RpmsgException timedOut) {
        RpmsgEndpoint ep = dispatching;
        if (ep == null) {
            return; // the device's own send (a name-service answer): its caller reports it
        }
        device.callbackFailed(ep, "a send from onMessage", timedOut);
        reported = timedOut;
    }

    /** Hands a well-formed message to the name service or its endpoint; returns its RX buffer unless held. */
    private void route(RpmsgLink l, int src, int dst, int len, MemorySegment data, long offset, @Nullable VringBuffer b,
            @Nullable RpmsgEndpoint target) {
        RECEIVED.setRelease(this, (long) RECEIVED.get(this) + 1);
        RECEIVED_BYTES.setRelease(this, (long) RECEIVED_BYTES.get(this) + len);
        if (dst == RpmsgAddresses.NS_ADDR) {
            try {
                nameService.handle(l, data, offset, src, len);
            } finally {
                if (b != null) {
                    giveBack(b);
                }
            }
            return;
        }
        RpmsgEndpoint ep = target;
        if (ep == null || ep.isDestroyed()) {
            device.drop(Reason.UNKNOWN_DESTINATION, "no endpoint at " + RpmsgAddresses.format(dst) + " for " + len
                    + " bytes from " + RpmsgAddresses.format(src), null);
            if (b != null) {
                giveBack(b);
            }
            return;
        }
        if (!ep.isBound() && ep.adopt(src)) {
            device.hooks().fireBound(ep);
        }
        RpmsgMessage message = spare;
        if (message == null) {
            message = new RpmsgMessage(device, data, offset, b, src, dst, len);
        } else {
            spare = null;
            message.reuse(data, offset, b, src, dst, len);
        }
        dispatching = ep;
        try {
            ep.listener().onMessage(ep, message);
        } catch (RuntimeException | Error e) {
            if (e != reported) {
                device.callbackFailed(ep, "onMessage", e);
            }
        } finally {
            dispatching = null;
            reported = null;
            if (message.callbackReturned()) {
                spare = message; // nobody holds it: the next delivery reuses it
                if (b != null) {
                    giveBack(b);
                }
            }
        }
    }
}
