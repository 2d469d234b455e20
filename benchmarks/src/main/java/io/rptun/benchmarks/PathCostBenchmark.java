package io.rptun.benchmarks;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.rpmsg.RpmsgBatchWriter;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.virtio.DescriptorChain;
import io.rptun.core.virtio.Notifier;
import io.rptun.core.virtio.VirtqueueDevice;
import io.rptun.core.virtio.VirtqueueDriver;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringBuffer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
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

/**
 * A design probe: the CPU cost of one message on each transport's own code path, with no second thread
 * and so no cache line moving between cores. One invocation sends {@value #ROUND} messages and then
 * receives them all, on the benchmark thread; the score is nanoseconds per message (send plus receive).
 * What it isolates is the software: every atomic instruction, fence, allocation and check a message costs.
 * A shared machine barely moves it (one thread needs one core), unlike the two-thread benchmarks.
 * <ul>
 * <li>{@code rptun}: a host and a remote {@link RpmsgDevice} over a mapped {@code /dev/shm} file
 *     ({@code trySend} × 256, then the remote's {@code process()} delivers them to a listener and
 *     returns the buffers; the next sends reclaim them). The notifier does nothing, so the doorbell is
 *     not counted (the two-thread probe measures it).</li>
 * <li>{@code rptun-batch}: the same devices, the host sending with {@link RpmsgEndpoint#trySendBatch} in
 *     batches of {@value #BATCH}, each written in place and published with one index store.</li>
 * <li>{@code vring}: the virtio layer alone, as in {@link VringThroughputBenchmark}: a driver
 *     {@link VirtqueuePort} acquires, fills and submits × 256, the device's port receives them and submits
 *     each straight back (no notifier). {@code rptun} minus {@code vring} is what rpmsg adds.</li>
 * <li>{@code vring-batch}: the same ports in the shape of {@code rptun-batch}, without rpmsg: the sender holds
 *     the ring ({@link VirtqueuePort#tryHold}), takes, fills and puts {@value #BATCH} buffers and publishes them
 *     with one index store; the device's port receives up to {@value #BATCH} at a time and gives them back with
 *     one {@link VirtqueuePort#submitAll}. {@code rptun-batch} minus {@code vring-batch} is what rpmsg adds to a
 *     batch, {@code vring-batch} minus {@code vring-raw} what the ports' thread safety adds.</li>
 * <li>{@code vring-raw}: the split-virtqueue protocol itself with every check of the untrusted peer and
 *     none of the port's thread safety: a {@link VirtqueueDriver} adds and publishes each buffer, the
 *     {@link VirtqueueDevice} takes and returns them all with one used-index store, the driver reaps them.
 *     The floor of any thread-safe transport over these rings, and what the ring format costs against
 *     Aeron's log.</li>
 * <li>{@code aeron}: an exclusive publication's {@code offer} × 256, then the subscription's
 *     {@code poll} until all 256 are in, with an embedded driver ({@link AeronIpc}).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", AeronIpc.ADD_EXPORTS})
public class PathCostBenchmark {
    static final int ROUND = 256;
    private static final ValueLayout.OfInt SEQ = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Messages per batch of {@code rptun-batch}. */
    static final int BATCH = 32;

    /**
     * The transport: {@code rptun}, {@code rptun-batch}, {@code vring}, {@code vring-batch}, {@code vring-raw} or
     * {@code aeron}.
     */
    @Param({"rptun", "rptun-batch", "vring", "vring-batch", "vring-raw", "aeron"})
    public String transport = "rptun";

    /** Payload bytes per message. */
    @Param({"64"})
    public int payload = 64;

    private @Nullable Arena arena;
    private @Nullable RpmsgDevice host;
    private @Nullable RpmsgDevice remote;
    private @Nullable RpmsgEndpoint endpoint;
    private MemorySegment message = MemorySegment.NULL;
    private final RptunOneWayBenchmark.Sink sink = new RptunOneWayBenchmark.Sink();

    private @Nullable AeronIpc aeron;
    private @Nullable ExclusivePublication publication;
    private @Nullable Subscription subscription;
    private final AeronIpcOneWayBenchmark.SubscriberLoop aeronSink = new AeronIpcOneWayBenchmark.SubscriberLoop();
    private UnsafeBuffer aeronMessage = new UnsafeBuffer(new byte[0]);

    private @Nullable VirtqueuePort tx;
    private @Nullable VirtqueuePort rx;
    private VirtqueuePort.Receiver vringReceiver = buffer -> { };
    private MemorySegment pattern = MemorySegment.NULL;
    private static final Integer[] RAW_TOKENS = new Integer[VringThroughputBenchmark.NUM];

    static {
        for (int i = 0; i < RAW_TOKENS.length; i++) {
            RAW_TOKENS[i] = i;
        }
    }

    private @Nullable VirtqueueDriver<Integer> rawDriver;
    private @Nullable VirtqueueDevice rawDevice;
    private MemorySegment rawShm = MemorySegment.NULL;
    private int[] rawFree = new int[0];
    private int rawFreeCount;
    private final DescriptorChain rawChain = new DescriptorChain(VringThroughputBenchmark.NUM);
    private final VirtqueueDriver.UsedHandler<Integer> rawReaped = (token, head, len) -> rawFree[rawFreeCount++] = token;
    private int vringExpected;
    private long vringOutOfOrder;
    private int nextSeq;

    /** Brings up the transport. */
    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        switch (transport) {
            case "rptun", "rptun-batch" -> setUpRptun();
            case "aeron" -> setUpAeron();
            case "vring", "vring-batch" -> setUpVring();
            case "vring-raw" -> setUpVringRaw();
            default -> throw new IllegalArgumentException("transport=" + transport);
        }
    }

    private void setUpRptun() throws IOException {
        Arena a = Arena.ofShared();
        arena = a;
        BareDevices.Pair devices = BareDevices.attach(BareDevices.mapUnlinked("cost", 1 << 20, a), PeerNotifier.NONE,
                PeerNotifier.NONE);
        RpmsgDevice h = devices.host();
        host = h;
        RpmsgDevice r = devices.remote();
        remote = r;
        r.createEndpoint(RptunOneWayBenchmark.SERVICE, sink);
        RpmsgEndpoint ep = h.createEndpoint(RptunOneWayBenchmark.SERVICE, (e, msg) -> { });
        BareDevices.awaitBound(ep, () -> {
            r.process();
            h.process();
        });
        endpoint = ep;
        message = a.allocate(payload, Long.BYTES).fill((byte) 0x5a);
    }

    /**
     * A fresh shared arena (closed at tear-down) holding one region with a cleared vring at its start, and
     * the payload pattern the vring paths copy in.
     */
    private SharedRegion freshRegion() {
        Arena a = Arena.ofShared();
        arena = a;
        MemorySegment shm = a.allocate(VringThroughputBenchmark.REGION_SIZE, 4096);
        Vring.of(shm, VringThroughputBenchmark.NUM, VringThroughputBenchmark.ALIGN).clear();
        pattern = a.allocate(VringThroughputBenchmark.BUFFER_SIZE).fill((byte) 0x5a);
        return SharedRegion.of(shm, 0, AddressEnvironment.identity());
    }

    private static Vring vringOf(SharedRegion region) {
        return Vring.of(region.segment(), VringThroughputBenchmark.NUM, VringThroughputBenchmark.ALIGN);
    }

    private void setUpVring() throws IOException {
        SharedRegion region = freshRegion();
        Vring vring = vringOf(region);
        VirtqueuePort t = VirtqueuePort.driver("cost-tx", vring, region, VirtqueuePort.Mode.SEND, Notifier.NONE);
        for (int i = 0; i < VringThroughputBenchmark.NUM; i++) {
            t.release(t.addBuffer(VringThroughputBenchmark.BUFFERS_OFFSET + VringThroughputBenchmark.BUFFER_SIZE * i,
                    (int) VringThroughputBenchmark.BUFFER_SIZE));
        }
        VirtqueuePort r = VirtqueuePort.device("cost-rx", vring, region, VirtqueuePort.Mode.RECEIVE, Notifier.NONE);
        tx = t;
        rx = r;
        vringReceiver = buffer -> {
            int seq = buffer.segment().get(SEQ, 0);
            if (seq != vringExpected) {
                vringOutOfOrder++;
            }
            vringExpected = seq + 1;
            r.submit(buffer);
        };
    }

    private void setUpVringRaw() {
        SharedRegion region = freshRegion();
        Vring vring = vringOf(region);
        rawDriver = new VirtqueueDriver<>("raw-tx", vring);
        rawDevice = new VirtqueueDevice("raw-rx", vring, region);
        rawShm = region.segment();
        rawFree = new int[VringThroughputBenchmark.NUM];
        for (int i = 0; i < rawFree.length; i++) {
            rawFree[i] = i;
        }
        rawFreeCount = rawFree.length;
    }

    private void setUpAeron() throws InterruptedException {
        AeronIpc a = AeronIpc.launch("cost");
        aeron = a;
        Subscription sub = a.aeron().addSubscription(AeronIpc.CHANNEL, AeronIpcOneWayBenchmark.STREAM_ID);
        ExclusivePublication pub = a.aeron().addExclusivePublication(AeronIpc.CHANNEL,
                AeronIpcOneWayBenchmark.STREAM_ID);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pub.isConnected() || !sub.isConnected()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("aeron ipc did not connect");
            }
            Thread.sleep(1);
        }
        publication = pub;
        subscription = sub;
        aeronMessage = new UnsafeBuffer(BufferUtil.allocateDirectAligned(payload, 64));
        aeronMessage.setMemory(0, payload, (byte) 0x5a);
    }

    /** Sends 256 messages, then receives them all. */
    @Benchmark
    @OperationsPerInvocation(ROUND)
    public void round() {
        if (endpoint != null && transport.equals("rptun-batch")) {
            rptunBatchRound(endpoint, java.util.Objects.requireNonNull(remote));
        } else if (endpoint != null) {
            rptunRound(endpoint, java.util.Objects.requireNonNull(remote));
        } else if (tx != null && transport.equals("vring-batch")) {
            vringBatchRound(tx, java.util.Objects.requireNonNull(rx));
        } else if (tx != null) {
            vringRound(tx, java.util.Objects.requireNonNull(rx));
        } else if (rawDriver != null) {
            rawRound(rawDriver, java.util.Objects.requireNonNull(rawDevice));
        } else {
            aeronRound(java.util.Objects.requireNonNull(publication), java.util.Objects.requireNonNull(subscription));
        }
    }

    private void rptunRound(RpmsgEndpoint ep, RpmsgDevice r) {
        MemorySegment m = message;
        for (int i = 0; i < ROUND; i++) {
            m.set(SEQ, 0, nextSeq++);
            while (!ep.trySend(m)) {
                r.process(); // a buffer still on its way back from an earlier round
            }
        }
        while (sink.received < nextSeq) {
            r.process();
        }
    }

    private final RpmsgBatchWriter batchWriter = new RpmsgBatchWriter() {
        @Override
        public int writeNext(MemorySegment area) {
            MemorySegment.copy(message, 0, area, 0, payload);
            area.set(SEQ, 0, nextSeq++);
            return payload;
        }
    };

    private void rptunBatchRound(RpmsgEndpoint ep, RpmsgDevice r) {
        for (int sent = 0; sent < ROUND; ) {
            int n = ep.trySendBatch(batchWriter, Math.min(BATCH, ROUND - sent));
            if (n == 0) {
                r.process(); // buffers still on their way back from an earlier round
            }
            sent += n;
        }
        while (sink.received < nextSeq) {
            r.process();
        }
    }

    private void vringRound(VirtqueuePort t, VirtqueuePort r) {
        for (int i = 0; i < ROUND; i++) {
            VringBuffer b;
            while ((b = t.acquire()) == null) {
                r.receive(vringReceiver, ROUND);
            }
            MemorySegment bytes = b.segment();
            MemorySegment.copy(pattern, 0, bytes, 0, payload);
            bytes.set(SEQ, 0, nextSeq++);
            b.length(payload);
            t.submit(b);
        }
        int received = 0;
        while (received < ROUND) {
            received += r.receive(vringReceiver, ROUND);
        }
    }

    private final VringBuffer[] batchReceived = new VringBuffer[BATCH];
    private int batchReceivedCount;
    private final VirtqueuePort.Receiver batchReceiver = buffer -> {
        int seq = buffer.segment().get(SEQ, 0);
        if (seq != vringExpected) {
            vringOutOfOrder++;
        }
        vringExpected = seq + 1;
        batchReceived[batchReceivedCount++] = buffer;
    };

    private void vringBatchRound(VirtqueuePort t, VirtqueuePort r) {
        for (int sent = 0; sent < ROUND; ) {
            int n = 0;
            if (t.tryHold()) {
                try {
                    VringBuffer b;
                    while (n < BATCH && (b = t.takeHeld()) != null) {
                        MemorySegment bytes = b.segment();
                        MemorySegment.copy(pattern, 0, bytes, 0, payload);
                        bytes.set(SEQ, 0, nextSeq++);
                        b.length(payload);
                        t.putHeld(b);
                        n++;
                    }
                } finally {
                    t.releaseHold();
                }
            }
            if (n == 0) {
                receiveBatch(r); // buffers still on their way back from an earlier round
            }
            sent += n;
        }
        while (vringExpected < nextSeq) {
            receiveBatch(r);
        }
    }

    /** Up to a batch of received buffers, given back with one publication. */
    private void receiveBatch(VirtqueuePort r) {
        batchReceivedCount = 0;
        r.receive(batchReceiver, BATCH);
        r.submitAll(batchReceived, batchReceivedCount);
    }

    private void rawRound(VirtqueueDriver<Integer> d, VirtqueueDevice dev) {
        MemorySegment shm = rawShm;
        for (int i = 0; i < ROUND; i++) {
            int index = rawFree[--rawFreeCount];
            long offset = VringThroughputBenchmark.BUFFERS_OFFSET + VringThroughputBenchmark.BUFFER_SIZE * index;
            MemorySegment.copy(pattern, 0, shm, offset, payload);
            shm.set(SEQ, offset, nextSeq++);
            d.add(offset, payload, false, RAW_TOKENS[index]);
            d.publish(); // one publication per message, as Aeron's offer
        }
        for (int i = 0; i < ROUND; i++) {
            if (!dev.take(rawChain)) {
                throw new IllegalStateException("vring-raw: buffer " + i + " missing");
            }
            int seq = shm.get(SEQ, rawChain.offset(0));
            if (seq != vringExpected) {
                vringOutOfOrder++;
            }
            vringExpected = seq + 1;
            dev.putUsed(rawChain.head(), 0);
        }
        dev.publishUsed(); // one position update per poll, as Aeron's subscriber
        d.reap(rawReaped, ROUND);
    }

    private void aeronRound(ExclusivePublication pub, Subscription sub) {
        UnsafeBuffer m = aeronMessage;
        for (int i = 0; i < ROUND; i++) {
            m.putInt(0, nextSeq++, ByteOrder.LITTLE_ENDIAN);
            while (pub.offer(m, 0, payload) < 0) {
                Thread.onSpinWait();
            }
        }
        FragmentHandler handler = aeronSink;
        int received = 0;
        while (received < ROUND) {
            received += sub.poll(handler, ROUND);
        }
    }

    /** Closes everything; fails the trial on a sequence error. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try {
            if (remote != null) {
                remote.close();
            }
            if (host != null) {
                host.close();
            }
            if (aeron != null) {
                aeron.close();
            }
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
        long out = sink.outOfOrder + aeronSink.outOfOrder + vringOutOfOrder;
        if (out != 0) {
            throw new IllegalStateException(out + " messages out of sequence");
        }
    }
}
