package io.rptun.benchmarks;

import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.socket.RpmsgServerSocket;
import io.rptun.core.socket.RpmsgSocket;
import io.rptun.core.socket.SocketOptions;
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
 * Stream throughput over an rpmsg socket against raw endpoint messages on the same link (64 buffers of
 * 512 bytes per vring, host to remote, each side served by its {@code RpmsgRunner}). One operation is
 * {@value #CHUNK} bytes: for {@code socketStream} one {@code write} the socket splits into DATA messages of
 * up to 484 bytes as the reader's window allows (a reader thread on the remote drains it); for {@code
 * rawEndpoint} the same bytes as 496-byte endpoint messages to a listener that only counts. So ops/s times
 * 64 KiB is the figure in bytes/s, and the ratio says what the credit window costs. {@code window} is the
 * receiver's window: NuttX's default 1,024 bytes, and 64 KiB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SocketThroughputBenchmark {
    static final int CHUNK = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Param({"1024", "65536"})
    public int window = 1024;

    private @Nullable RpmsgLoopback loop;
    private @Nullable RpmsgEndpoint raw;
    private @Nullable RpmsgSocket client;
    private @Nullable RpmsgSocket server;
    private @Nullable Thread reader;
    private final byte[] chunk = new byte[CHUNK];
    private final byte[] message = new byte[496];
    private final AtomicLong received = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() {
        RpmsgLoopback l = RpmsgLoopback.start(RpmsgLoopback.table(64, 512));
        loop = l;
        l.remote().createEndpoint("sink", (ep, msg) -> received.addAndGet(msg.length()));
        RpmsgEndpoint r = l.host().createEndpoint("sink", (ep, msg) -> { });
        if (!r.awaitBound(WAIT)) {
            throw new IllegalStateException("sink not bound");
        }
        raw = r;
        SocketOptions options = SocketOptions.stream().withReceiveBuffer(window);
        try (RpmsgServerSocket listener = RpmsgServerSocket.listen(l.remote(), "bench", options)) {
            client = RpmsgSocket.connect(l.host(), "bench", options, WAIT);
            RpmsgSocket s = listener.accept(WAIT);
            if (s == null) {
                throw new IllegalStateException("not accepted");
            }
            server = s;
        }
        RpmsgSocket s = server;
        reader = Thread.ofPlatform().daemon().name("socket-reader").start(() -> {
            byte[] buf = new byte[CHUNK];
            while (s.read(buf, 0, buf.length, WAIT) >= 0) {
                // drain
            }
        });
    }

    @Benchmark
    public int socketStream() {
        RpmsgSocket c = client;
        if (c == null) {
            throw new IllegalStateException("not set up");
        }
        return c.write(chunk, 0, CHUNK, WAIT);
    }

    @Benchmark
    public void rawEndpoint() {
        RpmsgEndpoint r = raw;
        if (r == null) {
            throw new IllegalStateException("not set up");
        }
        for (int sent = 0; sent < CHUNK; sent += message.length) {
            r.send(message, 0, Math.min(message.length, CHUNK - sent));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        RpmsgSocket c = client;
        if (c != null) {
            c.close();
        }
        Thread t = reader;
        if (t != null) {
            t.join(WAIT.toMillis());
        }
        RpmsgSocket s = server;
        if (s != null) {
            s.close();
        }
        RpmsgLoopback l = loop;
        if (l != null) {
            l.close();
        }
    }
}
