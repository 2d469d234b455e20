package io.rptun.benchmarks;

import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.loopback.RpmsgLoopback;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
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
 * The round trip of one rpmsg message: the host sends, the remote's listener echoes it from its callback,
 * the host's listener sees the echo, over {@link RpmsgLoopback} (two serving threads, in-process
 * doorbells that park and unpark). Sample mode gives percentiles. The benchmark thread waits for the echo
 * by spinning, then yielding; the serving threads sleep between messages, so each round trip includes two
 * wake-ups: this is the latency of a quiet system, not of a busy-polling one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RpmsgRoundTripBenchmark {
    @Param({"64"})
    public int payload = 64;

    private @Nullable RpmsgLoopback loop;
    private @Nullable RpmsgEndpoint client;
    private @Nullable Arena arena;
    private @Nullable MemorySegment message;
    private volatile long echoes;

    @Setup(Level.Trial)
    public void setUp() {
        RpmsgLoopback l = RpmsgLoopback.start(RpmsgLoopback.table(256, 512));
        loop = l;
        l.remote().createEndpoint("echo", (ep, msg) -> ep.send(msg.payload()));
        RpmsgEndpoint c = l.host().createEndpoint("echo", (ep, msg) -> echoes++);
        if (!c.awaitBound(Duration.ofSeconds(10))) {
            throw new IllegalStateException("echo not bound");
        }
        client = c;
        Arena a = Arena.ofShared();
        arena = a;
        message = a.allocate(payload);
    }

    @Benchmark
    public long roundTrip() {
        RpmsgEndpoint c = client;
        MemorySegment m = message;
        if (c == null || m == null) {
            throw new IllegalStateException("not set up");
        }
        long before = echoes;
        c.send(m);
        int spins = 0;
        while (echoes == before) {
            if (++spins < 1000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        return before;
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
