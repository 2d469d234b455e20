package io.rptun.benchmarks;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The peer users would pick instead of rptun: Aeron IPC one way, the same shape and payloads as
 * {@link RptunOneWayBenchmark}. The benchmark thread offers {@code payload}-byte messages to an
 * {@link ExclusivePublication} on {@code aeron:ipc} (retrying, with {@link Thread#onSpinWait()}, while
 * back-pressured); a subscriber thread polls the {@link Subscription} without ever sleeping (Aeron's
 * busy-spin idle strategy) and checks each sequence number. The media driver is embedded and shared, and
 * backs off when idle ({@link AeronIpc} says why). One op is one message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", AeronIpc.ADD_EXPORTS})
public class AeronIpcOneWayBenchmark {
    static final int STREAM_ID = 1001;
    /** Fragments the subscriber takes per poll at most. */
    static final int FRAGMENT_LIMIT = 256;

    /** Payload bytes per message: 64 or 496, as for rptun. */
    @Param({"64", "496"})
    public int payload = 64;

    private @Nullable AeronIpc aeron;
    private @Nullable ExclusivePublication publication;
    private @Nullable Thread subscriberThread;
    private final SubscriberLoop subscriber = new SubscriberLoop();
    private UnsafeBuffer message = new UnsafeBuffer(new byte[0]);
    private int nextSeq;

    /**
     * The subscriber thread: polls and checks that each message's first int counts up by one. Its counters
     * are read after the thread was joined.
     */
    static final class SubscriberLoop implements FragmentHandler {
        volatile boolean running = true;
        @Nullable Subscription subscription;
        long received;
        long outOfOrder;
        int expected;

        void run() {
            Subscription s = subscription;
            if (s == null) {
                throw new IllegalStateException("no subscription");
            }
            while (running) {
                if (s.poll(this, FRAGMENT_LIMIT) == 0) {
                    Thread.onSpinWait();
                }
            }
        }

        @Override
        public void onFragment(DirectBuffer buffer, int offset, int length, Header header) {
            int seq = buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            if (seq != expected) {
                outOfOrder++;
            }
            expected = seq + 1;
            received++;
        }
    }

    /** Launches the driver, connects both sides, starts the subscriber thread. */
    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        if (payload < Integer.BYTES) {
            throw new IllegalArgumentException("payload=" + payload);
        }
        AeronIpc a = AeronIpc.launch("oneway");
        aeron = a;
        Subscription sub = a.aeron().addSubscription(AeronIpc.CHANNEL, STREAM_ID);
        ExclusivePublication pub = a.aeron().addExclusivePublication(AeronIpc.CHANNEL, STREAM_ID);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pub.isConnected() || !sub.isConnected()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("aeron ipc did not connect");
            }
            Thread.sleep(1);
        }
        publication = pub;
        subscriber.subscription = sub;
        message = new UnsafeBuffer(BufferUtil.allocateDirectAligned(payload, 64));
        message.setMemory(0, payload, (byte) 0x5a);
        Thread t = Thread.ofPlatform().name("aeron-subscriber").daemon().unstarted(subscriber::run);
        subscriberThread = t;
        t.start();
    }

    /** Offers one message, retrying while back-pressured. */
    @Benchmark
    public void offer() {
        ExclusivePublication pub = publication;
        if (pub == null) {
            throw new IllegalStateException("not set up");
        }
        UnsafeBuffer m = message;
        m.putInt(0, nextSeq++, ByteOrder.LITTLE_ENDIAN);
        long result;
        while ((result = pub.offer(m, 0, payload)) < 0) {
            if (result == Publication.CLOSED || result == Publication.NOT_CONNECTED
                    || result == Publication.MAX_POSITION_EXCEEDED) {
                throw new IllegalStateException("offer failed: " + Publication.errorString(result));
            }
            Thread.onSpinWait();
        }
    }

    /** Stops the subscriber, closes Aeron, deletes its directory; fails the trial on a sequence error. */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        subscriber.running = false;
        try {
            if (subscriberThread != null) {
                subscriberThread.join(10_000);
            }
        } finally {
            if (aeron != null) {
                aeron.close();
            }
        }
        if (subscriber.outOfOrder != 0 || subscriber.received == 0) {
            throw new IllegalStateException("subscriber: " + subscriber.received + " received, "
                    + subscriber.outOfOrder + " out of sequence");
        }
    }
}
