package io.rptun.benchmarks;

import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.sim.IdleStrategy;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/**
 * {@link RptunOneWayBenchmark}'s traffic through the reactive API: the host sends a {@code Flux<byte[]>}
 * with {@link RpmsgChannel#sendBytes} and waits for {@code then()}; the remote (in a thread of this JVM,
 * over the same mapped {@code /dev/shm} file, its serving thread busy-spinning) receives with
 * {@link RpmsgChannel#receive()} and unbounded demand, and checks each sequence number in {@code onNext}.
 * One invocation sends {@value #BATCH} messages (so the per-send subscription and the wait are spread over
 * them); the score is messages per second.
 *
 * <p>The payloads come from a pool of {@value #POOL} pre-allocated arrays, used in turn: a send holds at
 * most {@code sendPrefetch} (16) elements unsent, so an array is reused long after its bytes were copied,
 * and {@code -prof gc} shows what the reactive path allocates, not what the benchmark does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RptunReactiveOneWayBenchmark {
    static final String SERVICE = "bench-reactive";
    static final int BATCH = 1024;
    static final int POOL = 256;

    /** Payload bytes per message: 64 or 496. */
    @Param({"64", "496"})
    public int payload = 64;

    /** How the remote's serving thread waits: {@code busy-spin} or {@code backoff} (futex). */
    @Param({"busy-spin"})
    public String remoteIdle = "busy-spin";

    /** Descriptors and 512-byte buffers per vring, as {@link RptunOneWayBenchmark#ring}. */
    @Param({"256"})
    public int ring = SimLink.NUM;

    private @Nullable SimLink link;
    private @Nullable RpmsgChannel channel;
    private final Receiver receiver = new Receiver();
    private final byte[][] pool = new byte[POOL][];
    private int next;
    private int nextSeq;
    private Flux<byte[]> batch = Flux.empty();

    /** The remote's receiver: unbounded demand, checks that the first int counts up by one. */
    static final class Receiver extends BaseSubscriber<RpmsgMessage> {
        long received;
        long outOfOrder;
        int expected;
        volatile @Nullable Throwable failure;

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        protected void hookOnNext(RpmsgMessage msg) {
            int seq = msg.getIntLE(0);
            if (seq != expected) {
                outOfOrder++;
            }
            expected = seq + 1;
            received++;
        }

        @Override
        protected void hookOnError(Throwable error) {
            failure = error;
        }
    }

    /** Starts the link, opens a channel on each side, subscribes the remote's receiver. */
    @Setup(Level.Trial)
    public void setUp() {
        if (payload < Integer.BYTES || payload > SimLink.BUFFER_SIZE - 16) {
            throw new IllegalArgumentException("payload=" + payload);
        }
        SimLink l = SimLink.inProcess("reactive", ring, IdleStrategy.backoff(), RptunOneWayBenchmark.idle(remoteIdle),
                device -> RpmsgReactive.create(device).open(SERVICE, Duration.ofSeconds(30))
                        .subscribe(ch -> ch.receive().subscribe(receiver), e -> receiver.failure = e));
        link = l;
        channel = RpmsgReactive.create(l.device()).open(SERVICE, Duration.ofSeconds(30)).block();
        for (int i = 0; i < POOL; i++) {
            pool[i] = new byte[payload];
            java.util.Arrays.fill(pool[i], (byte) 0x5a);
        }
        batch = Flux.<byte[]>generate(sink -> sink.next(nextMessage())).take(BATCH, true);
    }

    private byte[] nextMessage() {
        byte[] m = pool[next++ & (POOL - 1)];
        Bytes.putInt(m, nextSeq++);
        return m;
    }

    /** Sends {@value #BATCH} messages and waits until all are on the TX ring. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void send() {
        RpmsgChannel c = channel;
        if (c == null) {
            throw new IllegalStateException("not set up");
        }
        c.sendBytes(batch).then().block(Duration.ofSeconds(30));
    }

    /** Closes both sides, deletes the file; fails the trial on a sequence error or a failed receive. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (channel != null) {
            channel.dispose();
        }
        if (link != null) {
            // How the sends went out: messages per index store (the send's batches) each way.
            io.rptun.core.rpmsg.RpmsgStats host = link.device().stats();
            System.out.printf("per publication: host sends %.1f%n",
                    RptunOneWayBenchmark.perPublication(host.sent(), host.txPublications()));
            link.close();
        }
        Throwable failure = receiver.failure;
        if (receiver.outOfOrder != 0 || receiver.received == 0) {
            throw new IllegalStateException("receiver: " + receiver.received + " received, " + receiver.outOfOrder
                    + " out of sequence", failure);
        }
    }
}
