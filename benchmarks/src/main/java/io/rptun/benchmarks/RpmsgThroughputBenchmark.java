package io.rptun.benchmarks;

import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.loopback.RpmsgLoopback;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * rpmsg messages per second, one way, through the whole stack: a host endpoint's {@code send} (header,
 * copy into the TX buffer, the lock-free port, a kick) to a remote endpoint's listener, each side served
 * by its {@code RpmsgRunner} thread and woken by an in-process doorbell ({@link RpmsgLoopback}), 256
 * buffers of 512 bytes per vring. The benchmark thread blocks in {@code send} when every TX buffer is
 * with the remote, so the score is the rate the remote takes messages at.
 *
 * <p>Run it next to {@code VringThroughput} to see what rpmsg adds to the bare ring (threads, wake-ups,
 * header, dispatch).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RpmsgThroughputBenchmark {
    /** Payload bytes per message (496 is the most a 512-byte buffer carries). */
    @Param({"64"})
    public int payload = 64;

    private @Nullable RpmsgLoopback loop;
    private @Nullable RpmsgEndpoint client;
    private @Nullable Arena arena;
    private @Nullable MemorySegment message;
    private final AtomicLong received = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() {
        RpmsgLoopback l = RpmsgLoopback.start(RpmsgLoopback.table(256, 512));
        loop = l;
        l.remote().createEndpoint("sink", (ep, msg) -> received.incrementAndGet());
        RpmsgEndpoint c = l.host().createEndpoint("sink", (ep, msg) -> { });
        if (!c.awaitBound(Duration.ofSeconds(10))) {
            throw new IllegalStateException("sink not bound");
        }
        client = c;
        Arena a = Arena.ofShared();
        arena = a;
        MemorySegment m = a.allocate(payload);
        for (int i = 0; i < payload; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        message = m;
    }

    @Benchmark
    public void send() {
        RpmsgEndpoint c = client;
        MemorySegment m = message;
        if (c == null || m == null) {
            throw new IllegalStateException("not set up");
        }
        c.send(m);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (loop != null) {
            loop.close();
        }
        if (arena != null) {
            arena.close();
        }
    }
}
