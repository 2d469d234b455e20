package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Current NuttX's {@code rpmsg-ping} ({@code drivers/rpmsg/rpmsg_ping.c}), responder and requester, on
 * one endpoint created when the rpmsg device comes up (so each side announces it; the two-phase NS binds
 * them both ways).
 *
 * <pre>
 * 0   cmd    u32  flags ACK 0x1 (answer me), CHECK 0x2 (every data byte equals the first),
 *                 RANDOMLEN 0x4; command (mask 0xF0) REQ 0x00, RSP 0x20
 * 4   len    u32  the whole message's length, header included (at least 17)
 * 8   cookie u64  opaque to the responder (NuttX: the requester's semaphore address)
 * 16  data
 * </pre>
 *
 * Responder: an RSP completes the request whose cookie it carries; a request is answered only with ACK;
 * with CHECK the pattern is checked (a mismatch is counted, as NuttX logs it, and still answered); the
 * answer is the same bytes, same length, with {@code cmd} = RSP alone and {@code len} = the received
 * length (17 for a command other than REQ).
 */
public final class NuttxPing {
    public static final String NAME = "rpmsg-ping";
    public static final int ACK = 0x1;
    public static final int CHECK = 0x2;
    public static final int RANDOMLEN = 0x4;
    public static final int CMD_MASK = 0xF0;
    public static final int REQ = 0x00;
    public static final int RSP = 0x20;
    /** {@code sizeof(struct rpmsg_ping_msg_s)}: 16 bytes of header and {@code data[1]}. */
    public static final int MIN_LEN = 17;
    private static final int HEADER = 16;

    /** What one {@link #ping} call measured. */
    public record Result(int times, int lastLength, Duration min, Duration max, Duration total) {
    }

    private final NuttxRpmsg rpmsg;
    private final NuttxRpmsg.Endpoint endpoint;
    private final Map<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong(0x7f00_0000_1000L);
    private final AtomicLong requestsReceived = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong checkFailures = new AtomicLong();
    private final AtomicLong responsesReceived = new AtomicLong();
    private final AtomicLong unknownCookies = new AtomicLong();
    private final AtomicLong roundTrips = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();

    /** {@code rpmsg_ping_init}: the endpoint, announced at once. */
    public NuttxPing(NuttxRpmsg rpmsg) {
        this.rpmsg = rpmsg;
        this.endpoint = rpmsg.createEndpoint(NAME, NuttxRpmsg.ADDR_ANY, this::onMessage);
    }

    public NuttxRpmsg.Endpoint endpoint() {
        return endpoint;
    }

    /** Requests received (with or without ACK). */
    public long requestsReceived() {
        return requestsReceived.get();
    }

    /** Requests answered with an RSP. */
    public long answered() {
        return answered.get();
    }

    /** Requests with CHECK whose data bytes were not all equal. */
    public long checkFailures() {
        return checkFailures.get();
    }

    /** RSP messages received. */
    public long responsesReceived() {
        return responsesReceived.get();
    }

    /** RSP messages whose cookie named no request of ours (NuttX would post a stray semaphore). */
    public long unknownCookies() {
        return unknownCookies.get();
    }

    /** Requests of ours with ACK whose answer came back. */
    public long roundTrips() {
        return roundTrips.get();
    }

    /** Messages shorter than the 16-byte ping header. */
    public long malformed() {
        return malformed.get();
    }

    private void onMessage(NuttxRpmsg.Endpoint ept, byte[] data, int src) {
        if (data.length < HEADER) {
            malformed.incrementAndGet();
            return;
        }
        MemorySegment msg = MemorySegment.ofArray(data);
        int cmd = msg.get(LE_U32, 0);
        if ((cmd & CMD_MASK) == RSP) {
            responsesReceived.incrementAndGet();
            CompletableFuture<byte[]> waiter = pending.remove(msg.get(LE_U64, 8));
            if (waiter == null) {
                unknownCookies.incrementAndGet();
            } else {
                waiter.complete(data);
            }
            return;
        }
        requestsReceived.incrementAndGet();
        if ((cmd & ACK) == 0) {
            return;
        }
        if ((cmd & CHECK) != 0) {
            long claimed = Integer.toUnsignedLong(msg.get(LE_U32, 4)) - HEADER;
            int dataLen = (int) Math.max(0, Math.min(claimed, data.length - HEADER));
            for (int i = 0; i < dataLen; i++) {
                if (data[HEADER + i] != data[HEADER]) {
                    checkFailures.incrementAndGet();
                    break;
                }
            }
        }
        int replyLen = (cmd & CMD_MASK) == REQ ? data.length : MIN_LEN;
        byte[] reply = Arrays.copyOf(data, replyLen);
        MemorySegment out = MemorySegment.ofArray(reply);
        out.set(LE_U32, 4, replyLen);
        out.set(LE_U32, 0, RSP);
        ept.send(reply);
        answered.incrementAndGet();
    }

    /**
     * {@code rpmsg_ping(ept, {times, len, cmd, sleep})} as the NuttX shell's {@code rpmsg ping} runs it:
     * {@code times} messages one after the other, each {@code len} bytes long (header included; random
     * below it with RANDOMLEN; at least 17, at most the 1,520-byte payload), data all {@code (byte) i}
     * with CHECK else 0; with ACK each waits for its answer. {@code stall} only bounds that wait (NuttX
     * waits for ever).
     */
    public Result ping(int times, int len, int cmd, Duration sleep, Duration stall) {
        if (times <= 0) {
            throw new IllegalArgumentException("times=" + times);
        }
        Duration min = null;
        Duration max = Duration.ZERO;
        Duration total = Duration.ZERO;
        int last = 0;
        for (int i = 0; i < times; i++) {
            long start = System.nanoTime();
            last = once(len, cmd, (byte) i, stall);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            min = min == null || took.compareTo(min) < 0 ? took : min;
            max = took.compareTo(max) > 0 ? took : max;
            total = total.plus(took);
            if (!sleep.isZero()) {
                NuttxRpmsg.sleepMillis(sleep.toMillis());
            }
        }
        return new Result(times, last, min, max, total);
    }

    private int once(int len, int cmd, byte fill, Duration stall) {
        int bufLen = rpmsg.maxPayload();
        int msgLen = (cmd & RANDOMLEN) != 0 ? ThreadLocalRandom.current().nextInt(Math.max(1, len)) : len;
        msgLen = Math.min(Math.max(msgLen, MIN_LEN), bufLen);
        byte[] msg = new byte[msgLen];
        MemorySegment seg = MemorySegment.ofArray(msg);
        seg.set(LE_U32, 0, cmd);
        seg.set(LE_U32, 4, msgLen);
        Arrays.fill(msg, HEADER, msgLen, (cmd & CHECK) != 0 ? fill : 0);
        if ((cmd & ACK) == 0) {
            seg.set(LE_U64, 8, 0L);
            endpoint.send(msg);
            return msgLen;
        }
        long cookie = cookies.getAndAdd(0x40);
        seg.set(LE_U64, 8, cookie);
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        pending.put(cookie, answer);
        try {
            endpoint.send(msg);
            answer.get(stall.toNanos(), TimeUnit.NANOSECONDS);
            roundTrips.incrementAndGet();
            return msgLen;
        } catch (TimeoutException e) {
            throw new NuttxModelException("no rpmsg-ping answer to cookie 0x" + Long.toHexString(cookie) + " within "
                    + stall);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NuttxModelException("interrupted");
        } finally {
            pending.remove(cookie);
        }
    }
}
