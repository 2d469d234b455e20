package io.rptun.benchmarks;

import io.rptun.core.lifecycle.RptunResource;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
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
 * A design probe, not part of the side-by-side: the same one-way traffic as {@link RptunOneWayBenchmark}
 * (host to remote, 256 × 512-byte buffers, a mapped {@code /dev/shm} file) with the lifecycle and the
 * simulator's doorbells taken away, to measure what each costs. The host and remote devices are brought
 * up straight from {@link RptunResource#nuttx}; the remote is served by a thread that only polls
 * ({@code while (true) if (process() == 0) onSpinWait()}); the benchmark thread sends with
 * {@code trySend}, retried with {@link Thread#onSpinWait()}.
 *
 * <p>{@code kick} is what the host's notify does for every message it sends:
 * <ul>
 * <li>{@code none}: nothing, as if the polling remote had told the host not to notify it (virtio's
 *     {@code VRING_USED_F_NO_NOTIFY}, which rptun-core does not set today);</li>
 * <li>{@code ring}: what {@code FutexDoorbell.notify} does when the peer is awake: an atomic increment of
 *     a shared word the peer reads, a full fence, a read of the peer's "sleeping" word.</li>
 * </ul>
 * The difference between the two is what every message pays today for a notification nobody needs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RptunProbeBenchmark {
    private static final ValueLayout.OfInt SEQ = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();
    private static final long REGION = 1 << 20;
    /** The doorbell words, past the rptun region: the remote's seq at 0, its sleeping flag at 64. */
    private static final long BELL = REGION;

    /** Payload bytes per message. */
    @Param({"64"})
    public int payload = 64;

    /** What the host's notify does per message: {@code none} or {@code ring}. */
    @Param({"none", "ring"})
    public String kick = "none";

    private @Nullable Arena arena;
    private @Nullable RpmsgDevice host;
    private @Nullable RpmsgDevice remote;
    private @Nullable RpmsgEndpoint endpoint;
    private @Nullable Thread poller;
    private volatile boolean running = true;
    private MemorySegment message = MemorySegment.NULL;
    private final RptunOneWayBenchmark.Sink sink = new RptunOneWayBenchmark.Sink();
    private int nextSeq;

    /** Maps the file, brings both devices up, binds the endpoints, starts the remote's poller. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Arena a = Arena.ofShared();
        arena = a;
        MemorySegment shm = BareDevices.mapUnlinked("probe", REGION + 4096, a);
        MemorySegment bell = shm.asSlice(BELL, 128);
        PeerNotifier notifier = switch (kick) {
            case "none" -> PeerNotifier.NONE;
            case "ring" -> id -> {
                WORD.getAndAdd(bell, 0L, 1);
                VarHandle.fullFence();
                if ((int) WORD.getAcquire(bell, 64L) != 0) {
                    throw new IllegalStateException("never set");
                }
            };
            default -> throw new IllegalArgumentException("kick=" + kick);
        };
        BareDevices.Pair devices = BareDevices.attach(shm.asSlice(0, REGION), notifier, PeerNotifier.NONE);
        RpmsgDevice h = devices.host();
        host = h;
        RpmsgDevice r = devices.remote();
        remote = r;
        Thread t = Thread.ofPlatform().name("probe-remote").daemon().unstarted(() -> {
            // The remote polls its own doorbell word too, as a spinning FutexDoorbell does.
            while (running) {
                if (r.process() == 0) {
                    Thread.onSpinWait();
                    WORD.getAcquire(bell, 0L);
                }
            }
        });
        poller = t;
        t.start();
        r.createEndpoint(RptunOneWayBenchmark.SERVICE, sink);
        RpmsgEndpoint ep = h.createEndpoint(RptunOneWayBenchmark.SERVICE, (e, msg) -> { });
        BareDevices.awaitBound(ep, h::process);
        endpoint = ep;
        message = a.allocate(payload, Long.BYTES).fill((byte) 0x5a);
    }

    /** Sends one message, spinning while no TX buffer is free. */
    @Benchmark
    public void send() {
        RpmsgEndpoint ep = endpoint;
        if (ep == null) {
            throw new IllegalStateException("not set up");
        }
        message.set(SEQ, 0, nextSeq++);
        while (!ep.trySend(message)) {
            Thread.onSpinWait();
        }
    }

    /** Stops the poller, closes both devices and unmaps (the file went when it was mapped). */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException, InterruptedException {
        running = false;
        try {
            if (poller != null) {
                poller.join(10_000);
            }
            if (remote != null) {
                remote.close();
            }
            if (host != null) {
                host.close();
            }
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
        if (sink.outOfOrder != 0 || sink.received == 0) {
            throw new IllegalStateException("sink: " + sink.received + " received, " + sink.outOfOrder
                    + " out of sequence");
        }
    }
}
