package io.rptun.benchmarks;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.virtio.DescriptorChain;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.virtio.VirtqueueDevice;
import io.rptun.core.virtio.VirtqueueDriver;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringLayout;
import io.rptun.sim.SimRemote;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A design probe for the round trip: the CPU cost of one ping and its echo when each side serves one message
 * per pass, on one thread, so no cache line moves between cores. {@link PathCostBenchmark} spreads a pass's
 * fixed costs over 256 messages; a ping-pong pays them for every message, twice per round trip, and this
 * probe is where they show. The score is nanoseconds per round trip.
 * <ul>
 * <li>{@code rptun}: a host and a remote {@link RpmsgDevice} over a mapped {@code /dev/shm} file, as
 *     {@code PingPongMain} runs them: the host sends, the remote's {@code process()} delivers the ping to
 *     {@link SimRemote#echoListener()}, which answers from its callback, and the host's {@code process()}
 *     delivers the pong. The notifier rings nobody but is not {@link PeerNotifier#NONE}, so every publication
 *     pays the fence and the look at the peer's flag that a real doorbell costs when the peer polls.</li>
 * <li>{@code vring-raw}: the split-ring work of the same round trip and nothing else: every check of the
 *     untrusted peer, no thread safety, no rpmsg. Two vrings of {@value VringThroughputBenchmark#NUM} entries, the
 *     host the driver of both as in rpmsg: the host adds a filled ping buffer to the first and publishes; the
 *     remote takes it, takes an empty buffer the host offered on the second, copies the ping into it, returns
 *     it with its length and publishes, then returns the ping buffer and publishes; the host reaps the pong and
 *     offers its buffer again, publishing. Four publications, each followed by the look at the peer's flag a
 *     doorbell needs, as {@code rptun}'s. The floor of a round trip over these rings, whatever sits above
 *     them.</li>
 * <li>{@code aeron}: two IPC streams with exclusive publications; the ping's fragment handler offers the pong,
 *     Aeron's own Ping/Pong shape, with an embedded driver ({@link AeronIpc}).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", AeronIpc.ADD_EXPORTS})
public class RoundTripCostBenchmark {
    private static final int PONG_STREAM_ID = AeronIpcOneWayBenchmark.STREAM_ID + 1;

    /** The transport: {@code rptun}, {@code vring-raw} or {@code aeron}. */
    @Param({"rptun", "vring-raw", "aeron"})
    public String transport = "rptun";

    /** Payload bytes per message. */
    @Param({"64"})
    public int payload = 64;

    private @Nullable Arena arena;
    private @Nullable RpmsgDevice host;
    private @Nullable RpmsgDevice remote;
    private @Nullable RpmsgEndpoint endpoint;
    private MemorySegment message = MemorySegment.NULL;
    private long pongs;

    private @Nullable AeronIpc aeron;
    private @Nullable ExclusivePublication pingPublication;
    private @Nullable Subscription pingSubscription;
    private @Nullable ExclusivePublication pongPublication;
    private @Nullable Subscription pongSubscription;
    private UnsafeBuffer aeronMessage = new UnsafeBuffer(new byte[0]);
    private final FragmentHandler echo = (buffer, offset, length, header) -> {
        ExclusivePublication pub = java.util.Objects.requireNonNull(pongPublication);
        while (pub.offer(buffer, offset, length) < 0) {
            Thread.onSpinWait();
        }
    };
    private final FragmentHandler pongCounter = (buffer, offset, length, header) -> pongs++;

    private static final int NUM = VringThroughputBenchmark.NUM;
    private static final long BUFFER_SIZE = VringThroughputBenchmark.BUFFER_SIZE;
    /** The ping ring's buffers, then the pong ring's, after both vrings. */
    private static final long PING_BUFFERS = 0x20000;
    private static final long PONG_BUFFERS = PING_BUFFERS + NUM * BUFFER_SIZE;
    private static final Integer[] TOKENS = new Integer[NUM];

    static {
        for (int i = 0; i < NUM; i++) {
            TOKENS[i] = i;
        }
    }

    private @Nullable VirtqueueDriver<Integer> pingDriver;
    private @Nullable VirtqueueDevice pingDevice;
    private @Nullable VirtqueueDriver<Integer> pongDriver;
    private @Nullable VirtqueueDevice pongDevice;
    private MemorySegment shm = MemorySegment.NULL;
    private final DescriptorChain pingChain = new DescriptorChain(NUM);
    private final DescriptorChain pongChain = new DescriptorChain(NUM);
    private int[] pingFree = new int[0];
    private int pingFreeCount;
    private final VirtqueueDriver.UsedHandler<Integer> pingReaped = (token, head, len) -> pingFree[pingFreeCount++] = token;
    private long pongBytes;
    private final VirtqueueDriver.UsedHandler<Integer> pongReaped = (token, head, len) -> {
        pongBytes += shm.get(ValueLayout.JAVA_BYTE, PONG_BUFFERS + BUFFER_SIZE * token);
        pongs++;
        // The host offers the buffer again, as rpmsg's host gives back every RX buffer it has read.
        java.util.Objects.requireNonNull(pongDriver).add(PONG_BUFFERS + BUFFER_SIZE * token, (int) BUFFER_SIZE, true,
                token);
    };

    /** Brings up the transport. */
    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        switch (transport) {
            case "rptun" -> setUpRptun();
            case "aeron" -> setUpAeron();
            case "vring-raw" -> setUpVringRaw();
            default -> throw new IllegalArgumentException("transport=" + transport);
        }
    }

    private void setUpRptun() throws IOException {
        Arena a = Arena.ofShared();
        arena = a;
        PeerNotifier nobody = id -> { }; // not NONE: publications pay what a doorbell costs when the peer polls
        BareDevices.Pair devices = BareDevices.attach(BareDevices.mapUnlinked("rtt-cost", 1 << 20, a), nobody, nobody);
        RpmsgDevice h = devices.host();
        host = h;
        RpmsgDevice r = devices.remote();
        remote = r;
        r.createEndpoint(SimRemote.ECHO, SimRemote.echoListener());
        RpmsgEndpoint ep = h.createEndpoint(SimRemote.ECHO, (e, msg) -> pongs++);
        BareDevices.awaitBound(ep, () -> {
            r.process();
            h.process();
        });
        endpoint = ep;
        message = a.allocate(payload, Long.BYTES).fill((byte) 0x5a);
    }

    private void setUpVringRaw() {
        Arena a = Arena.ofShared();
        arena = a;
        MemorySegment m = a.allocate(PONG_BUFFERS + NUM * BUFFER_SIZE, 4096);
        shm = m;
        SharedRegion region = SharedRegion.of(m, 0, AddressEnvironment.identity());
        Vring ping = Vring.of(m, NUM, VringThroughputBenchmark.ALIGN);
        Vring pong = Vring.of(m.asSlice(0x10000), NUM, VringThroughputBenchmark.ALIGN);
        if (0x10000 + VringLayout.byteSize(NUM, VringThroughputBenchmark.ALIGN) > PING_BUFFERS) {
            throw new IllegalStateException("the vrings overlap the buffers");
        }
        ping.clear();
        pong.clear();
        VirtqueueDriver<Integer> pd = new VirtqueueDriver<>("ping-tx", ping);
        pingDriver = pd;
        pingDevice = new VirtqueueDevice("ping-rx", ping, region);
        VirtqueueDriver<Integer> qd = new VirtqueueDriver<>("pong-rx", pong);
        pongDriver = qd;
        pongDevice = new VirtqueueDevice("pong-tx", pong, region);
        pingFree = new int[NUM];
        for (int i = 0; i < NUM; i++) {
            pingFree[i] = NUM - 1 - i;
            qd.add(PONG_BUFFERS + BUFFER_SIZE * i, (int) BUFFER_SIZE, true, TOKENS[i]);
        }
        pingFreeCount = NUM;
        qd.publish();
        message = a.allocate(payload, Long.BYTES).fill((byte) 0x5a);
    }

    /** The host's ping, the remote's echo and give-back, the host's take of the pong: four publications. */
    private void rawRoundTrip(VirtqueueDriver<Integer> pd, VirtqueueDevice pdev, VirtqueueDriver<Integer> qd,
            VirtqueueDevice qdev) {
        MemorySegment m = shm;
        if (pingFreeCount == 0) {
            pd.reap(pingReaped, NUM);
        }
        int ping = pingFree[--pingFreeCount];
        long pingOffset = PING_BUFFERS + BUFFER_SIZE * ping;
        MemorySegment.copy(message, 0, m, pingOffset, payload);
        pd.add(pingOffset, payload, false, TOKENS[ping]);
        pd.publish();
        pd.kickPrepare();
        // The remote: take the ping, echo it into a buffer the host offered, give the ping buffer back.
        if (!pdev.take(pingChain)) {
            throw new IllegalStateException("vring-raw: no ping");
        }
        if (!qdev.take(pongChain)) {
            throw new IllegalStateException("vring-raw: no buffer to answer with");
        }
        int length = (int) Math.min(pingChain.length(0), pongChain.length(0));
        MemorySegment.copy(m, pingChain.offset(0), m, pongChain.offset(0), length);
        qdev.putUsed(pongChain.head(), length);
        qdev.publishUsed();
        qdev.kickPrepare();
        pdev.putUsed(pingChain.head(), 0);
        pdev.publishUsed();
        pdev.kickPrepare();
        // The host: the pong, and its buffer offered again.
        qd.reap(pongReaped, NUM);
        qd.publish();
        qd.kickPrepare();
    }

    private void setUpAeron() throws InterruptedException {
        AeronIpc a = AeronIpc.launch("rtt-cost");
        aeron = a;
        Subscription pingSub = a.aeron().addSubscription(AeronIpc.CHANNEL, AeronIpcOneWayBenchmark.STREAM_ID);
        ExclusivePublication pingPub = a.aeron().addExclusivePublication(AeronIpc.CHANNEL,
                AeronIpcOneWayBenchmark.STREAM_ID);
        Subscription pongSub = a.aeron().addSubscription(AeronIpc.CHANNEL, PONG_STREAM_ID);
        ExclusivePublication pongPub = a.aeron().addExclusivePublication(AeronIpc.CHANNEL, PONG_STREAM_ID);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pingPub.isConnected() || !pingSub.isConnected() || !pongPub.isConnected() || !pongSub.isConnected()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("aeron ipc did not connect");
            }
            Thread.sleep(1);
        }
        pingPublication = pingPub;
        pingSubscription = pingSub;
        pongPublication = pongPub;
        pongSubscription = pongSub;
        aeronMessage = new UnsafeBuffer(BufferUtil.allocateDirectAligned(payload, 64));
        aeronMessage.setMemory(0, payload, (byte) 0x5a);
    }

    /** One ping and its pong. */
    @Benchmark
    public long roundTrip() {
        long expected = pongs + 1;
        RpmsgEndpoint ep = endpoint;
        VirtqueueDriver<Integer> pd = pingDriver;
        if (pd != null) {
            rawRoundTrip(pd, java.util.Objects.requireNonNull(pingDevice), java.util.Objects.requireNonNull(pongDriver),
                    java.util.Objects.requireNonNull(pongDevice));
            if (pongs != expected) {
                throw new IllegalStateException("vring-raw: " + pongs + " pongs, expected " + expected);
            }
        } else if (ep != null) {
            RpmsgDevice h = java.util.Objects.requireNonNull(host);
            RpmsgDevice r = java.util.Objects.requireNonNull(remote);
            ep.send(message);
            while (pongs != expected) {
                r.process();
                h.process();
            }
        } else {
            ExclusivePublication pub = java.util.Objects.requireNonNull(pingPublication);
            Subscription pingSub = java.util.Objects.requireNonNull(pingSubscription);
            Subscription pongSub = java.util.Objects.requireNonNull(pongSubscription);
            while (pub.offer(aeronMessage, 0, payload) < 0) {
                Thread.onSpinWait();
            }
            while (pongs != expected) {
                pingSub.poll(echo, 1);
                pongSub.poll(pongCounter, 1);
            }
        }
        return pongs;
    }

    /** Closes everything. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (pingDriver != null && pongBytes != 0x5aL * pongs) {
            throw new IllegalStateException("vring-raw: a pong did not carry the ping's bytes");
        }
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
    }
}
