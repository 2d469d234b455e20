package io.rptun.benchmarks;

import java.util.concurrent.TimeUnit;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.varhandle.SpscVarHandleArrayQueue;
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
 * An in-process limit for the one-way benchmarks: JCTools' SPSC array queue (the VarHandle build,
 * {@link SpscVarHandleArrayQueue}, since the {@code -jdk11} artifact has no Unsafe one) carrying 256
 * pre-allocated messages of 512 bytes. The benchmark thread takes a free message (spinning while none is
 * free), copies {@code payload} bytes into it (a sequence number, then a pattern) and offers it; a consumer
 * thread drains up to 256 at a time, checks each sequence number and hands the message back on a second
 * queue. The same shape as {@link RptunOneWayBenchmark} (256 buffers of 512 bytes, a copy in, a hidden
 * consumer thread, one op per message); nothing allocates, and nothing crosses a process boundary.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SpscQueueOneWayBenchmark {
    static final int NUM = 256;
    static final int MESSAGE_SIZE = 512;

    /** Payload bytes copied into each message: 64 or 496. */
    @Param({"64", "496"})
    public int payload = 64;

    private SpscVarHandleArrayQueue<byte[]> full = new SpscVarHandleArrayQueue<>(NUM);
    private SpscVarHandleArrayQueue<byte[]> free = new SpscVarHandleArrayQueue<>(NUM);
    private final byte[] pattern = new byte[MESSAGE_SIZE];
    private final Consumer consumer = new Consumer();
    private @Nullable Thread consumerThread;
    private int nextSeq;

    /** The consumer thread; its counters are read after it was joined. */
    static final class Consumer implements MessagePassingQueue.Consumer<byte[]> {
        volatile boolean running = true;
        SpscVarHandleArrayQueue<byte[]> full = new SpscVarHandleArrayQueue<>(2);
        SpscVarHandleArrayQueue<byte[]> free = new SpscVarHandleArrayQueue<>(2);
        long received;
        long outOfOrder;
        int expected;

        void run() {
            while (running) {
                if (full.drain(this, NUM) == 0) {
                    Thread.onSpinWait();
                }
            }
        }

        @Override
        public void accept(byte[] message) {
            int seq = Bytes.getInt(message);
            if (seq != expected) {
                outOfOrder++;
            }
            expected = seq + 1;
            received++;
            free.relaxedOffer(message);
        }
    }

    /** Creates the queues and messages and starts the consumer. */
    @Setup(Level.Trial)
    public void setUp() {
        if (payload < Integer.BYTES || payload > MESSAGE_SIZE) {
            throw new IllegalArgumentException("payload=" + payload);
        }
        full = new SpscVarHandleArrayQueue<>(NUM);
        free = new SpscVarHandleArrayQueue<>(NUM);
        for (int i = 0; i < NUM; i++) {
            free.offer(new byte[MESSAGE_SIZE]);
        }
        java.util.Arrays.fill(pattern, (byte) 0x5a);
        consumer.full = full;
        consumer.free = free;
        Thread t = Thread.ofPlatform().name("spsc-consumer").daemon().unstarted(consumer::run);
        consumerThread = t;
        t.start();
    }

    /** Sends one message, spinning while every message is with the consumer. */
    @Benchmark
    public void send() {
        byte[] message;
        while ((message = free.relaxedPoll()) == null) {
            Thread.onSpinWait();
        }
        System.arraycopy(pattern, 0, message, 0, payload);
        Bytes.putInt(message, nextSeq++);
        full.relaxedOffer(message);
    }

    /** Stops the consumer; fails the trial on a sequence error. */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        consumer.running = false;
        if (consumerThread != null) {
            consumerThread.join(10_000);
        }
        if (consumer.outOfOrder != 0 || consumer.received == 0) {
            throw new IllegalStateException("consumer: " + consumer.received + " received, " + consumer.outOfOrder
                    + " out of sequence");
        }
    }
}
