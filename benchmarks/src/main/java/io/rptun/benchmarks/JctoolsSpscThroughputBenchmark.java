package io.rptun.benchmarks;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.varhandle.SpscVarHandleArrayQueue;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * The in-process baseline for {@link VringThroughputBenchmark}, run alongside it so the two can be
 * compared as a ratio: the same two-thread round trip through JCTools' SPSC array queue (the VarHandle
 * build, {@link SpscVarHandleArrayQueue}) instead of a vring.
 *
 * <p>256 pre-allocated messages of 512 bytes (the vring's buffer size) start in a {@code free} queue.
 * The sender polls one, writes {@code payload} bytes (a sequence number, then a pre-filled pattern) and
 * offers it to {@code full}, up to {@code batch} per call; the receiver drains up to 256 from
 * {@code full}, checks each sequence number and offers the message back to {@code free}. Nothing
 * allocates in steady state.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class JctoolsSpscThroughputBenchmark {
    static final int NUM = VringThroughputBenchmark.NUM;

    /** Bytes written into each message: a multiple of 8, from 8 to 512. */
    @Param({"64"})
    public int payload = 64;

    /** Messages the sender offers per call: 1 or more. */
    @Param({"1", "32"})
    public int batch = 1;

    // Set by setUp(), which JMH runs before any benchmark method; read-only afterwards (see
    // VringThroughputBenchmark: each thread's written fields live in its own Scope.Thread state).
    /** Sender to receiver. */
    private SpscVarHandleArrayQueue<Message> full;
    /** Receiver back to sender. */
    private SpscVarHandleArrayQueue<Message> free;

    /**
     * One pre-allocated message: as many bytes as a vring buffer holds (so that, as there, two messages
     * never share a cache line), of which the sender fills {@code payload}; word 0 is the sequence number.
     */
    static final class Message {
        final long[] words = new long[(int) (VringThroughputBenchmark.BUFFER_SIZE / Long.BYTES)];
    }

    /** Sender's counters, reported per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class SendCounters {
        /** Messages offered. */
        public long sent;
        /** Calls that found no free message and sent nothing. */
        public long sendFailures;

        /** Starts each iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            sent = 0;
            sendFailures = 0;
        }
    }

    /** Receiver's counters, reported per second; {@code received} is the headline figure. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class ReceiveCounters {
        /** Messages received (and handed back). */
        public long received;
        /** Calls that found nothing to receive. */
        public long receiveEmpty;

        /** Starts each iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            received = 0;
            receiveEmpty = 0;
        }
    }

    /** Sender only: the next sequence number and the words copied into every message. */
    @State(Scope.Thread)
    public static class Sender {
        long nextSeq;
        long[] pattern = new long[0];

        /** Sizes the pattern to the payload. */
        @Setup(Level.Trial)
        public void setUp(JctoolsSpscThroughputBenchmark group) {
            pattern = new long[group.payload / Long.BYTES];
            Arrays.fill(pattern, 0x5a5a5a5a5a5a5a5aL);
        }
    }

    /**
     * Receiver only: the pre-allocated consumer, which checks each message's sequence number and hands
     * it back. Fails the trial if a message was lost, duplicated or reordered.
     */
    @State(Scope.Thread)
    public static class Receiver implements MessagePassingQueue.Consumer<Message> {
        private SpscVarHandleArrayQueue<Message> free;
        long expected;
        long outOfOrder;

        /** Binds to the group's return queue. */
        @Setup(Level.Trial)
        public void setUp(JctoolsSpscThroughputBenchmark group) {
            free = group.free;
        }

        @Override
        public void accept(Message message) {
            long seq = message.words[0];
            if (seq != expected) {
                outOfOrder++;
            }
            expected = seq + 1;
            free.offer(message);
        }

        /** Fails the trial on a sequence error. */
        @TearDown(Level.Trial)
        public void check() {
            if (outOfOrder != 0) {
                throw new IllegalStateException(outOfOrder + " messages out of sequence");
            }
        }
    }

    /** Creates both queues and puts all 256 messages in {@code free}. */
    @Setup(Level.Trial)
    public void setUp() {
        if (payload < Long.BYTES || payload > 512 || payload % Long.BYTES != 0) {
            throw new IllegalArgumentException("payload=" + payload);
        }
        if (batch < 1 || batch > NUM) {
            throw new IllegalArgumentException("batch=" + batch);
        }
        full = new SpscVarHandleArrayQueue<>(NUM);
        free = new SpscVarHandleArrayQueue<>(NUM);
        for (int i = 0; i < NUM; i++) {
            free.offer(new Message());
        }
    }

    /** Sends up to {@code batch} messages, or counts a failure when none is free. */
    @Benchmark
    @Group("spsc")
    @GroupThreads(1)
    public void send(Sender sender, SendCounters counters) {
        int sent = 0;
        while (sent < batch) {
            Message message = free.relaxedPoll();
            if (message == null) {
                break;
            }
            long[] words = message.words;
            System.arraycopy(sender.pattern, 0, words, 0, sender.pattern.length);
            words[0] = sender.nextSeq++;
            full.relaxedOffer(message);
            sent++;
        }
        if (sent == 0) {
            counters.sendFailures++;
            return;
        }
        counters.sent += sent;
    }

    /** Receives up to 256 messages and hands each straight back. */
    @Benchmark
    @Group("spsc")
    @GroupThreads(1)
    public void receive(Receiver receiver, ReceiveCounters counters) {
        int n = full.drain(receiver, NUM);
        if (n == 0) {
            counters.receiveEmpty++;
        } else {
            counters.received += n;
        }
    }
}
