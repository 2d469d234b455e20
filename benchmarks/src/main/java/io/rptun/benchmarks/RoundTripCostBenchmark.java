package io.rptun.benchmarks;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.sim.SimRemote;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    /** The transport: {@code rptun} or {@code aeron}. */
    @Param({"rptun", "aeron"})
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

    /** Brings up the transport. */
    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        switch (transport) {
            case "rptun" -> setUpRptun();
            case "aeron" -> setUpAeron();
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
        if (ep != null) {
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
