package io.rptun.core.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;

import io.rptun.core.nuttx.NuttxServiceException.Reason;
import io.rptun.core.rpmsg.RpmsgBatchWriter;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgPayloadWriter;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NuttX's {@code rpmsg-ping} service as current NuttX speaks it ({@code drivers/rpmsg/rpmsg_ping.c}): one
 * endpoint per device that both answers the peer's pings and sends its own ({@link #ping}), as NuttX's does.
 * The message is {@link NuttxPingLayout}; {@code cmd} is flags ({@link #ACK}, {@link #CHECK},
 * {@link #RANDOMLEN}) plus a command ({@link #CMD_REQ} or {@link #CMD_RSP} under {@link #CMD_MASK}).
 *
 * <h2>Responder</h2>
 * A request without ACK is counted and not answered. With ACK: when CHECK is set every data byte must
 * equal the first (a mismatch is counted as {@link Reason#BAD_DATA} and logged, and still answered, as NuttX
 * does); the answer is the same bytes, same length, with {@code cmd} = {@link #CMD_RSP}, {@code len} = the
 * real length and the cookie unchanged. A request with an unknown command and ACK gets a 17-byte RSP, as
 * NuttX gives one, so that its requester does not wait for ever. Shorter than 17 bytes: dropped
 * ({@link Reason#SHORT_MESSAGE}); a {@code len} field that differs from the real length is counted
 * ({@link Reason#BAD_LENGTH}) and the real length is used.
 *
 * <h2>Requester</h2>
 * {@link #ping} is NuttX's {@code rpmsg ping <times> <len> <ack> <sleep>}: each ping's data is one byte
 * value (the ping's index when CHECK is set, else 0), its cookie is unique, and with ACK it waits for the
 * answer carrying that cookie. Answers are checked field by field (length, command, cookie, every byte).
 * Call it from any thread but the device's serving thread (the answer arrives there).
 *
 * <p>An older NuttX spoke SEND 1 / SEND_CHECK 2 / SEND_NOACK 3 / ACK 4; a current NuttX ignores that form
 * and this class does not speak it: its SEND_NOACK (3) reads here as ACK|CHECK, so an old peer's pings
 * are answered in the new form, which an old peer ignores.
 */
public final class NuttxPing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NuttxPing.class);

    /** The endpoint name both sides use. */
    public static final String NAME = "rpmsg-ping";
    /** Flag: answer me. */
    public static final int ACK = 0x1;
    /** Flag: every data byte equals the first; the responder checks. */
    public static final int CHECK = 0x2;
    /** Flag: the requester picks each length at random below the given one. */
    public static final int RANDOMLEN = 0x4;
    /** The three flags. */
    public static final int FLAGS_MASK = ACK | CHECK | RANDOMLEN;
    /** The command nibble's mask. */
    public static final int CMD_MASK = 0xF0;
    /** Command: a request. */
    public static final int CMD_REQ = 0x00;
    /** Command: a response (the whole {@code cmd} of an answer). */
    public static final int CMD_RSP = 0x20;

    private final RpmsgEndpoint endpoint;
    private final Counters counters;
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Object pipelineLock = new Object();
    /** The pipelined run in progress, or null. */
    private volatile @Nullable Pipeline pipeline;
    private final AtomicLong nextCookie = new AtomicLong(ThreadLocalRandom.current().nextLong() & 0x7FFF_FFFF_0000_0000L);

    /** What the ping endpoint saw. Thread-safe. */
    public static final class Counters {
        private final LongAdder answered = new LongAdder();
        private final LongAdder unanswered = new LongAdder();
        private final LongAdder checked = new LongAdder();
        private final LongAdder responses = new LongAdder();
        private final ServiceDrops drops = new ServiceDrops(LOG, NAME);

        /** Requests answered. */
        public long answered() {
            return answered.sum();
        }

        /** Requests without ACK, taken and not answered. */
        public long unanswered() {
            return unanswered.sum();
        }

        /** Requests with CHECK whose fill was verified (right or wrong). */
        public long checked() {
            return checked.sum();
        }

        /** Answers to our own pings that matched one in flight (right or wrong). */
        public long responses() {
            return responses.sum();
        }

        /** What was dropped or miscounted, per reason ({@link Reason#BAD_DATA}: wrong fill or wrong echo). */
        public ServiceDrops drops() {
            return drops;
        }
    }

    /** One of our pings waiting for its answer. */
    private static final class Pending {
        final int length;
        final byte fill;
        final Semaphore done;
        volatile boolean ok;

        Pending(int length, byte fill, Semaphore done) {
            this.length = length;
            this.fill = fill;
            this.done = done;
        }
    }

    /** Sees each ping's round trip (or send time without ACK), on the thread that called {@link #ping}. */
    @FunctionalInterface
    public interface PingObserver {
        /** Ping {@code index} of {@code length} bytes took {@code nanos}; {@code ok} is false for a wrong answer. */
        void onPing(int index, int length, long nanos, boolean ok);
    }

    private NuttxPing(RpmsgDevice device, Counters counters) {
        this.counters = counters;
        this.endpoint = device.createEndpoint(NAME, new Handler(counters, this));
    }

    /**
     * Creates the {@value #NAME} endpoint on {@code device}: it answers the peer's pings at once and binds
     * when the peer's endpoint of the same name is known.
     *
     * @throws RpmsgException as {@link RpmsgDevice#createEndpoint(String, RpmsgListener)} gives it
     */
    public static NuttxPing open(RpmsgDevice device) {
        return new NuttxPing(Objects.requireNonNull(device, "device"), new Counters());
    }

    /**
     * A responder alone, for an endpoint the caller creates ({@code device.createEndpoint(NuttxPing.NAME,
     * NuttxPing.responder(counters))}): answers as {@link NuttxPing} does; any response is unexpected.
     */
    public static RpmsgListener responder(Counters counters) {
        return new Handler(Objects.requireNonNull(counters, "counters"), null);
    }

    /** The endpoint. */
    public RpmsgEndpoint endpoint() {
        return endpoint;
    }

    /** What it saw so far. */
    public Counters counters() {
        return counters;
    }

    /** Waits until the peer's {@value #NAME} endpoint is known; false if {@code timeout} passed first. */
    public boolean awaitBound(Duration timeout) {
        return endpoint.awaitBound(timeout);
    }

    /** {@link #ping(PingRequest, PingObserver)} without an observer. */
    public PingResult ping(PingRequest request) {
        return ping(request, (i, len, nanos, ok) -> {
        });
    }

    /**
     * NuttX's {@code rpmsg ping}: sends {@code request.times()} pings one after the other.
     *
     * @throws NuttxServiceException NOT_BOUND before the peer is known; NO_ANSWER when an answer does not
     *     come within the request's timeout; INTERRUPTED
     * @throws RpmsgException when a send fails (no TX buffer within the send timeout, the peer went away)
     */
    public PingResult ping(PingRequest request, PingObserver observer) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(observer, "observer");
        checkBound();
        int bufferLength = endpoint.maxPayload();
        long min = Long.MAX_VALUE;
        long max = 0;
        long total = 0;
        long bytes = 0;
        int answered = 0;
        int mismatched = 0;
        int length = 0;
        boolean ack = (request.flags() & ACK) != 0;
        for (int i = 0; i < request.times(); i++) {
            length = length(request, bufferLength);
            byte fill = (request.flags() & CHECK) != 0 ? (byte) i : 0;
            long t0 = System.nanoTime();
            Pending p = ack ? new Pending(length, fill, new Semaphore(0)) : null;
            long cookie = send(request.flags() | CMD_REQ, length, fill, p);
            boolean ok = true;
            if (p != null) {
                ok = await(p, cookie, request.answerTimeout(), i);
                answered++;
                if (!ok) {
                    mismatched++;
                }
            }
            long nanos = System.nanoTime() - t0;
            min = Math.min(min, nanos);
            max = Math.max(max, nanos);
            total += nanos;
            bytes += length;
            observer.onPing(i, length, nanos, ok);
            if (request.sleep().isPositive()) {
                LockSupport.parkNanos(request.sleep().toNanos());
            }
        }
        return new PingResult(request.times(), answered, mismatched, bufferLength, length, bytes, Duration.ofNanos(min),
                Duration.ofNanos(total / request.times()), Duration.ofNanos(max));
    }

    /**
     * Sends {@code count} pings of {@code length} bytes with ACK without waiting in between (a throughput
     * test, not NuttX's), then waits until all are answered or {@code timeout} has passed since the last was
     * sent. The pings go out in batches of up to {@value #PIPELINE_BATCH} ({@link RpmsgEndpoint#trySendBatch}):
     * as many as TX buffers are free, written in place and published together; with none free it waits for
     * one with a plain send.
     *
     * @return how many were answered (right or wrong: wrong ones are also counted as BAD_DATA drops)
     * @throws NuttxServiceException NOT_BOUND, INTERRUPTED
     */
    public int pipelined(int count, int length, Duration timeout) {
        return pipelined(count, length, PIPELINE_BATCH, timeout);
    }

    /** Short pauses a pipelined run takes when it finds no TX buffer, before it blocks for one. */
    private static final int DRY_PAUSES = 3;
    private static final long DRY_PAUSE_NANOS = 20_000;

    /** {@link #pipelined(int, int, Duration)}'s batch: at most this many pings per publication. */
    public static final int PIPELINE_BATCH = 32;

    /**
     * The same with at most {@code batch} pings per publication: 1 publishes (and may kick for) every ping on
     * its own, as a sender of single messages does.
     */
    public int pipelined(int count, int length, int batch, Duration timeout) {
        if (count < 0) {
            throw new IllegalArgumentException("count=" + count);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch=" + batch);
        }
        checkBound();
        int len = Math.min(Math.max(length, NuttxPingLayout.MIN_SIZE), endpoint.maxPayload());
        synchronized (pipelineLock) {
            // The run's cookies are one range, known before the first ping leaves: an answer is matched by
            // arithmetic and a bit, not through the map (which costs a boxed key and a node per ping).
            Pipeline run = new Pipeline(nextCookie.getAndAdd(count), count, len, Thread.currentThread());
            pipeline = run;
            try {
                int dry = 0;
                while (run.written < count) {
                    run.writtenInBatch = 0;
                    int sent = endpoint.trySendBatch(run, Math.min(batch, count - run.written));
                    run.written += sent;
                    if (sent == 0) {
                        // No TX buffer free. Give the peer a moment to hand back a batch rather than taking each
                        // buffer the instant it returns: a sender that always does falls into lock step with
                        // the peer, one message per publication each way. After a few short pauses, wait for
                        // one buffer the plain way (that also asks the peer to kick), then batch again.
                        if (++dry <= DRY_PAUSES) {
                            LockSupport.parkNanos(DRY_PAUSE_NANOS);
                            continue;
                        }
                        sendWithCookie(ACK | CMD_REQ, len, (byte) 0, run.first + run.written);
                        run.written++;
                    }
                    dry = 0;
                }
                long deadline = System.nanoTime() + timeout.toNanos();
                while (run.answered < count) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(this, left);
                    if (Thread.interrupted()) {
                        Thread.currentThread().interrupt();
                        throw new NuttxServiceException(Reason.INTERRUPTED, "interrupted waiting for pipelined answers");
                    }
                }
                return run.answered;
            } finally {
                // A late answer is then UNEXPECTED, as for a ping that timed out.
                pipeline = null;
            }
        }
    }

    /**
     * One pipelined run: cookies {@code first} to {@code first + count - 1}, written in place by the batch
     * writer (the core calls it on the sending thread), answered on the serving thread.
     */
    private static final class Pipeline implements RpmsgBatchWriter {
        final long first;
        final int count;
        final int length;
        final Thread waiter;
        /** Sending thread only: pings accepted so far, and the next one to write. */
        int written;
        /** Serving thread only: which answers came. */
        final java.util.BitSet seen;
        /** Written by the serving thread only; read by the waiter. */
        volatile int answered;

        Pipeline(long first, int count, int length, Thread waiter) {
            this.first = first;
            this.count = count;
            this.length = length;
            this.waiter = waiter;
            this.seen = new java.util.BitSet(count);
        }

        int writtenInBatch;

        @Override
        public int writeNext(MemorySegment payload) {
            int index = written + writtenInBatch;
            if (index == count) {
                return NO_MORE;
            }
            NuttxPingLayout.write(payload, ACK | CMD_REQ, length, first + index, (byte) 0);
            writtenInBatch++;
            return length;
        }
    }

    /** Destroys the endpoint; pings in flight end with NO_ANSWER at their deadline. */
    @Override
    public void close() {
        endpoint.destroy();
    }

    private void checkBound() {
        if (!endpoint.isBound()) {
            throw new NuttxServiceException(endpoint.isDestroyed() ? Reason.CLOSED : Reason.NOT_BOUND,
                    "the peer's '" + NAME + "' endpoint is not known yet (" + endpoint + ")");
        }
    }

    /** NuttX's length rule: random below the given one with RANDOMLEN, then at least 17, at most the buffer. */
    private static int length(PingRequest r, int bufferLength) {
        int len = (r.flags() & RANDOMLEN) != 0 ? ThreadLocalRandom.current().nextInt(r.length()) : r.length();
        return Math.min(Math.max(len, NuttxPingLayout.MIN_SIZE), bufferLength);
    }

    /** A ping with a cookie chosen by the caller (a pipelined run's), waiting for a TX buffer if none is free. */
    private void sendWithCookie(int cmd, int length, byte fill, long cookie) {
        written(cmd, length, fill, cookie).send(length);
    }

    /** A TX buffer (waiting for one if none is free) with the ping written in; given back if writing fails. */
    private RpmsgTxBuffer written(int cmd, int length, byte fill, long cookie) {
        RpmsgTxBuffer tx = endpoint.txBuffer();
        try {
            NuttxPingLayout.write(tx.payload(), cmd, length, cookie, fill);
        } catch (RuntimeException e) {
            tx.release();
            throw e;
        }
        return tx;
    }

    private long send(int cmd, int length, byte fill, @Nullable Pending p) {
        long cookie = nextCookie.getAndIncrement();
        RpmsgTxBuffer tx = written(cmd, length, fill, cookie);
        if (p != null) {
            pending.put(cookie, p);
        }
        try {
            tx.send(length);
        } catch (RuntimeException e) {
            if (p != null) {
                pending.remove(cookie);
            }
            throw e;
        }
        return cookie;
    }

    private boolean await(Pending p, long cookie, Duration timeout, int index) {
        try {
            if (!p.done.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                pending.remove(cookie);
                throw new NuttxServiceException(Reason.NO_ANSWER, "no answer to ping " + index + " within " + timeout);
            }
        } catch (InterruptedException e) {
            pending.remove(cookie);
            Thread.currentThread().interrupt();
            throw new NuttxServiceException(Reason.INTERRUPTED, "interrupted waiting for the answer to ping " + index);
        }
        return p.ok;
    }

    /** Takes an answer on the serving thread: matched by cookie, then checked field by field. */
    private void onResponse(RpmsgMessage msg) {
        MemorySegment in = msg.payload();
        int length = msg.length();
        long cookie = NuttxPingLayout.cookie(in);
        Pipeline run = pipeline;
        if (run != null && cookie - run.first >= 0 && cookie - run.first < run.count) {
            onPipelinedResponse(run, (int) (cookie - run.first), in, length);
            return;
        }
        Pending p = pending.remove(cookie);
        if (p == null) {
            counters.drops.record(Reason.UNEXPECTED_RESPONSE, "an answer with cookie 0x" + Long.toHexString(cookie)
                    + " that no ping waits for");
            return;
        }
        counters.responses.increment();
        boolean ok = length == p.length && NuttxPingLayout.len(in) == length && NuttxPingLayout.cmd(in) == CMD_RSP
                && allEqual(in, length, p.fill);
        if (!ok) {
            counters.drops.record(Reason.BAD_DATA, "an answer of " + length + " bytes (len field "
                    + Integer.toUnsignedString(NuttxPingLayout.len(in)) + ", cmd 0x" + Integer.toHexString(
                    NuttxPingLayout.cmd(in)) + ") to a ping of " + p.length + " bytes is not its echo");
        }
        p.ok = ok;
        p.done.release();
    }

    private void onPipelinedResponse(Pipeline run, int index, MemorySegment in, int length) {
        if (run.seen.get(index)) {
            counters.drops.record(Reason.UNEXPECTED_RESPONSE, "a second answer to pipelined ping " + index);
            return;
        }
        run.seen.set(index);
        counters.responses.increment();
        if (length != run.length || NuttxPingLayout.len(in) != length || NuttxPingLayout.cmd(in) != CMD_RSP
                || !allEqual(in, length, (byte) 0)) {
            counters.drops.record(Reason.BAD_DATA, "an answer of " + length + " bytes (len field "
                    + Integer.toUnsignedString(NuttxPingLayout.len(in)) + ", cmd 0x" + Integer.toHexString(
                    NuttxPingLayout.cmd(in)) + ") to a pipelined ping of " + run.length + " bytes is not its echo");
        }
        int answered = run.answered + 1;
        run.answered = answered; // one writer: the serving thread
        if (answered == run.count) {
            LockSupport.unpark(run.waiter);
        }
    }

    /** Zero bytes to compare a pipelined ping's data with (they are all zero), a vectorised mismatch at a time. */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[4096]);

    private static boolean allEqual(MemorySegment in, int length, byte fill) {
        long data = length - NuttxPingLayout.DATA_OFFSET;
        if (fill == 0 && data <= ZEROS.byteSize()) {
            return data <= 0 || MemorySegment.mismatch(in, NuttxPingLayout.DATA_OFFSET, length, ZEROS, 0, data) == -1;
        }
        for (long i = NuttxPingLayout.DATA_OFFSET; i < length; i++) {
            if (in.get(ValueLayout.JAVA_BYTE, i) != fill) {
                return false;
            }
        }
        return true;
    }

    /** The endpoint's listener: answers requests; gives responses to the requester (if any). */
    private static final class Handler implements RpmsgListener {
        private final Counters counters;
        private final @Nullable NuttxPing requester;

        Handler(Counters counters, @Nullable NuttxPing requester) {
            this.counters = counters;
            this.requester = requester;
        }

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            int length = msg.length();
            if (length < NuttxPingLayout.MIN_SIZE) {
                counters.drops.record(Reason.SHORT_MESSAGE, "a ping of " + length + " bytes (at least "
                        + NuttxPingLayout.MIN_SIZE + ")");
                return;
            }
            MemorySegment in = msg.payload();
            int cmd = NuttxPingLayout.cmd(in);
            if ((cmd & CMD_MASK) == CMD_RSP) {
                if (requester != null) {
                    requester.onResponse(msg);
                } else {
                    counters.drops.record(Reason.UNEXPECTED_RESPONSE, "an answer to a responder that sends no pings");
                }
                return;
            }
            if ((cmd & ACK) == 0) {
                counters.unanswered.increment();
                return;
            }
            if (NuttxPingLayout.len(in) != length) {
                counters.drops.record(Reason.BAD_LENGTH, "a ping whose len field says "
                        + Integer.toUnsignedString(NuttxPingLayout.len(in)) + " but has " + length + " bytes");
            }
            if ((cmd & CHECK) != 0) {
                counters.checked.increment();
                int at = NuttxPingLayout.firstFillMismatch(in, length);
                if (at >= 0) {
                    counters.drops.record(Reason.BAD_DATA, "receive data error at " + at + " of "
                            + (length - NuttxPingLayout.DATA_OFFSET));
                }
            }
            int answer = length;
            if ((cmd & CMD_MASK) != CMD_REQ) {
                counters.drops.record(Reason.UNKNOWN_COMMAND, "ping command 0x" + Integer.toHexString(cmd & CMD_MASK)
                        + ": answered with a bare 17-byte response, as NuttX does");
                answer = NuttxPingLayout.MIN_SIZE;
            }
            answer(ep, msg, in, answer);
        }

        private void answer(RpmsgEndpoint ep, RpmsgMessage msg, MemorySegment in, int length) {
            try {
                // The common case: a TX buffer is free, and the answer is written into it in place with no
                // handle (nothing allocated). Otherwise wait for one like any send from a callback.
                if (length == in.byteSize() && ep.trySendWithTo(msg.src(), in, ECHO)) {
                    counters.answered.increment();
                    return;
                }
                RpmsgTxBuffer tx = ep.txBuffer();
                MemorySegment out = tx.payload();
                int n = Math.min(length, tx.capacity());
                MemorySegment.copy(in, 0, out, 0, n);
                out.set(LE_U32, NuttxPingLayout.CMD_OFFSET, CMD_RSP);
                out.set(LE_U32, NuttxPingLayout.LEN_OFFSET, n);
                tx.sendTo(msg.src(), n);
                counters.answered.increment();
            } catch (RpmsgException e) {
                counters.drops.record(Reason.SEND_FAILED, "answer not sent: " + e.getMessage());
            }
        }

        /** The whole request back as a response, as much of it as the TX buffer holds. */
        private static final RpmsgPayloadWriter<MemorySegment> ECHO = (in, out) -> {
            int n = (int) Math.min(in.byteSize(), out.byteSize());
            MemorySegment.copy(in, 0, out, 0, n);
            out.set(LE_U32, NuttxPingLayout.CMD_OFFSET, CMD_RSP);
            out.set(LE_U32, NuttxPingLayout.LEN_OFFSET, n);
            return n;
        };
    }
}
