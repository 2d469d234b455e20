package io.rptun.reliability;

import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * One direction of a hostile-peer run: a sender thread that sends numbered, checksummed messages of mixed
 * sizes as fast as the link takes them, and the receiving endpoint's listener that checks each one.
 *
 * <p>A message is {@code [seq u32][crc32 u32][random bytes]}, the CRC over everything but itself. The sender
 * counts what was accepted ({@code send} returned) and, separately, what was accepted before the corruption
 * started; the receiver records which sequence numbers arrived intact and in order, what arrived forged (a
 * wrong CRC, a short message, a stale duplicate: the hostile peer's doing), and any buffer handed to it
 * outside the carveout. Before the corruption everything must be perfect; after it, nothing accepted may be
 * missing unless some side reported a typed error.
 */
final class HostileTraffic {
    private static final Set<Reason> TERMINAL = Set.of(Reason.DEVICE_BROKEN, Reason.PEER_LOST, Reason.DEVICE_CLOSED,
            Reason.ENDPOINT_DESTROYED, Reason.INTERRUPTED, Reason.NOT_READY);

    final String name;
    private final Supplier<@Nullable RpmsgEndpoint> endpoint;
    private final BooleanSupplier corrupted;
    private final Duration sendTimeout;
    private final Random random;

    // Sender side (its own thread; read after join).
    private volatile boolean running;
    private @Nullable Thread thread;
    private volatile long accepted;
    private volatile long acceptedBefore;
    private final Map<Reason, Long> sendFailures = new EnumMap<>(Reason.class);
    private final List<Throwable> untyped = new ArrayList<>();
    private volatile long maxSendNanos;

    // Receiver side (the receiving device's serving thread; guarded by this).
    private volatile MemorySegment mapping = MemorySegment.NULL;
    private volatile long carveoutFrom;
    private volatile long carveoutTo;
    private volatile int maxPayload = Integer.MAX_VALUE;
    private final BitSet received = new BitSet();
    private long nextExpected;
    private long intact;
    private long forged;
    private long skipped;
    private final List<String> violations = new ArrayList<>();

    HostileTraffic(String name, Supplier<@Nullable RpmsgEndpoint> endpoint, BooleanSupplier corrupted,
            Duration sendTimeout, long seed) {
        this.name = name;
        this.endpoint = endpoint;
        this.corrupted = corrupted;
        this.sendTimeout = sendTimeout;
        this.random = new Random(seed);
    }

    /** Where the receiving side maps the region, and the carveout in it: payloads must lie there. */
    void receiverMapping(MemorySegment region, long from, long to, int maxPayloadBytes) {
        this.carveoutFrom = from;
        this.carveoutTo = to;
        this.maxPayload = maxPayloadBytes;
        this.mapping = region;
    }

    /** The receiving endpoint's listener. Never throws: what it finds wrong is recorded. */
    RpmsgListener listener() {
        return this::onMessage;
    }

    private void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
        boolean before = !corrupted.getAsBoolean();
        MemorySegment payload = msg.payload();
        synchronized (this) {
            MemorySegment region = mapping;
            if (payload.isNative()) {
                long offset = payload.address() - region.address();
                long end = offset + payload.byteSize();
                if (region.equals(MemorySegment.NULL) || offset < carveoutFrom || end > carveoutTo) {
                    violations.add(name + ": a payload at [0x" + Long.toHexString(offset) + ", 0x"
                            + Long.toHexString(end) + ") outside the carveout [0x" + Long.toHexString(carveoutFrom)
                            + ", 0x" + Long.toHexString(carveoutTo) + ")");
                }
            }
            if (msg.length() != payload.byteSize() || msg.length() > maxPayload || msg.dst() != ep.address()) {
                violations.add(name + ": " + msg + " of " + payload.byteSize() + " bytes handed to " + ep);
            }
            byte[] bytes = msg.toByteArray();
            long seq = intactSeq(bytes);
            if (seq < 0) {
                forged++;
                if (before) {
                    violations.add(name + ": a malformed message before any corruption: " + msg);
                }
            } else if (seq == nextExpected) {
                received.set((int) seq);
                nextExpected++;
                intact++;
            } else if (before) {
                violations.add(name + ": seq " + seq + " arrived where " + nextExpected
                        + " was due, before any corruption");
            } else if (seq < nextExpected || received.get((int) seq)) {
                forged++;
            } else {
                skipped += seq - nextExpected;
                received.set((int) seq);
                nextExpected = seq + 1;
                intact++;
            }
        }
    }

    /** The sequence number of an intact message, or -1. */
    private static long intactSeq(byte[] bytes) {
        if (bytes.length < 8) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int crc = b.getInt(4);
        return crc == crc(bytes) ? Integer.toUnsignedLong(b.getInt(0)) : -1;
    }

    private static int crc(byte[] message) {
        CRC32 crc = new CRC32();
        crc.update(message, 0, 4);
        crc.update(message, 8, message.length - 8);
        return (int) crc.getValue();
    }

    private byte[] message(long seq, int maxLength) {
        byte[] m = new byte[random.nextInt(8, Math.max(9, maxLength + 1))];
        random.nextBytes(m);
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, (int) seq);
        b.putInt(4, crc(m));
        return m;
    }

    void start(String threadName) {
        running = true;
        Thread t = Thread.ofPlatform().name(threadName).unstarted(this::sendLoop);
        thread = t;
        t.start();
    }

    private void sendLoop() {
        while (running) {
            RpmsgEndpoint ep = endpoint.get();
            if (ep == null) {
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            long seq = accepted;
            long t0 = System.nanoTime();
            try {
                ep.send(MemorySegment.ofArray(message(seq, ep.maxPayload())), sendTimeout);
                accepted = seq + 1;
                if (!corrupted.getAsBoolean()) {
                    acceptedBefore = seq + 1;
                }
            } catch (RpmsgException e) {
                synchronized (this) {
                    sendFailures.merge(e.reason(), 1L, Long::sum);
                }
                if (TERMINAL.contains(e.reason())) {
                    return;
                }
                LockSupport.parkNanos(20_000_000);
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    untyped.add(e);
                }
                return;
            } finally {
                maxSendNanos = Math.max(maxSendNanos, System.nanoTime() - t0);
            }
        }
    }

    /** Stops the sender and waits for it (a send in progress returns within the send timeout). */
    boolean stop(Duration wait) throws InterruptedException {
        running = false;
        Thread t = thread;
        return t == null || t.join(wait);
    }

    long accepted() {
        return accepted;
    }

    long acceptedBefore() {
        return acceptedBefore;
    }

    synchronized long intact() {
        return intact;
    }

    synchronized long forged() {
        return forged;
    }

    synchronized long skipped() {
        return skipped;
    }

    /** Accepted messages that never arrived intact. */
    synchronized long missing() {
        return accepted - received.get(0, (int) Math.min(Integer.MAX_VALUE, accepted)).cardinality();
    }

    /** Accepted before the corruption started and never arrived intact. */
    synchronized long missingBefore() {
        return acceptedBefore - received.get(0, (int) acceptedBefore).cardinality();
    }

    synchronized Map<Reason, Long> sendFailures() {
        return new EnumMap<>(sendFailures);
    }

    synchronized List<Throwable> untyped() {
        return List.copyOf(untyped);
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    Duration maxSend() {
        return Duration.ofNanos(maxSendNanos);
    }

    @Override
    public synchronized String toString() {
        return name + ": accepted " + accepted + " (" + acceptedBefore + " before the corruption), intact " + intact
                + ", forged " + forged + ", skipped " + skipped + ", send failures " + sendFailures + ", longest send "
                + maxSend().toMillis() + " ms";
    }
}
