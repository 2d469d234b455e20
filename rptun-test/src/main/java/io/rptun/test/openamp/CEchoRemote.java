package io.rptun.test.openamp;

import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.core.rpmsg.RpmsgNsMessageLayout;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.sim.SimFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A model of OpenAMP's echo remote ({@code rpmsg-echo} of the Linux demo, peers.md section 1), the virtio
 * device, behaving as the C program does:
 * <ul>
 *   <li>{@link #create}: creates the shm file and writes the demo's table; {@link #serve} listens on the
 *       socket, accepts the host, polls (yielding) until DRIVER_OK, sets {@code VRING_USED_F_NO_NOTIFY} on
 *       its TX vring (vring 0: {@code virtqueue_disable_cb(svq)}), creates its endpoint and announces it
 *       (a blocking send to 0x35), then loops in {@link #platformPoll()} until the shutdown message.</li>
 *   <li>Its RX callback takes each message off vring 1's avail ring and calls the endpoint's callback,
 *       which answers with a <em>blocking</em> {@code rpmsg_send}: it takes a TX buffer from vring 0's avail
 *       ring, or sleeps 1 ms and tries again, up to 15 s (then the send fails and the message is lost).
 *       Only after the callback returns does the RX buffer go back on vring 1's used ring, with a kick after
 *       each one unless the host set NO_INTERRUPT on vring 1. Each echo is published on its own and kicked
 *       unless the host set NO_INTERRUPT on vring 0.</li>
 *   <li>It looks at nothing between kicks, and nothing but vring 0's avail ring while a send waits.</li>
 * </ul>
 */
public final class CEchoRemote extends CPeer {
    private static final ValueLayout.OfInt LE_U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** {@code RPMSG_TICK_COUNT / RPMSG_TICKS_PER_INTERVAL}: 15,000 sleeps of 1 ms. */
    private static final int SEND_TICKS = 15_000;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Path socketPath;
    private boolean shutdown;
    private long echoes;
    private long sendSleeps;
    private long sendFailures;

    private CEchoRemote(SimFile file, Path socket, Duration stallLimit) {
        super("c-echo-remote", file, stallLimit);
        this.socketPath = socket;
    }

    /** Creates {@code shm} (exclusively, deleted on close) with the demo's table. Does not listen yet. */
    public static CEchoRemote create(Path shm, Path socket, Duration stallLimit) {
        SimFile file = SimFile.createRaw(shm, OpenAmpLinuxProfile.SHM_SIZE, true);
        try {
            OpenAmpLinuxProfile.writeTable(file.segment());
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
        return new CEchoRemote(file, socket, stallLimit);
    }

    /**
     * The program: listens (up to {@code acceptTimeout}), serves one host until its shutdown message.
     *
     * @throws CPeerException STALLED (no kick, or no DRIVER_OK, within the stall limit), PEER_GONE, BAD_RING
     */
    public void serve(Duration acceptTimeout) {
        this.socket = CSocket.listen(socketPath, acceptTimeout, "c-echo-remote");
        LiveResourceTable t = waitForDriverOk();
        if ((t.gfeatures(0) & RpmsgAddresses.F_NS) == 0) {
            throw new CPeerException(CPeerException.Reason.BAD_RING, name + ": the host did not take F_NS");
        }
        attachRings(false);
        Objects.requireNonNull(vq0).disableCallbacks();
        MemorySegment ns = MemorySegment.ofArray(new byte[RpmsgNsMessageLayout.SIZE]);
        RpmsgNsMessageLayout.write(ns, OpenAmpLinuxProfile.ENDPOINT_NAME, FIRST_ADDRESS, RpmsgNsMessageLayout.CREATE);
        send(RpmsgAddresses.NS_ADDR, ns, 0, RpmsgNsMessageLayout.SIZE);
        while (!shutdown) {
            platformPoll();
        }
    }

    private LiveResourceTable waitForDriverOk() {
        LiveResourceTable t = io.rptun.core.rsc.ResourceTableParser
                .parse(shm, io.rptun.core.rsc.ParseMode.OPENAMP).attach(shm);
        long stallAt = System.nanoTime() + stallLimit.toNanos();
        while ((t.status(0) & RpmsgAddresses.STATUS_DRIVER_OK) == 0) {
            if (System.nanoTime() - stallAt > 0) {
                throw new CPeerException(CPeerException.Reason.STALLED, name + ": no DRIVER_OK within " + stallLimit);
            }
            Thread.yield();
        }
        return t;
    }

    @Override
    void vring0Callback() {
        // rpmsg_virtio_tx_callback: nothing (TX buffers are taken when a send needs one).
    }

    @Override
    void vring1Callback() {
        CVirtqueue rx = Objects.requireNonNull(vq1);
        int head;
        while ((head = rx.getAvailableBuffer()) >= 0) {
            long addr = rx.lastAddr();
            int length = rx.lastLen();
            if (length >= RpmsgHeaderLayout.SIZE) {
                MemorySegment b = shm.asSlice(addr, length);
                int len = RpmsgHeaderLayout.len(b);
                if (len <= length - RpmsgHeaderLayout.SIZE && RpmsgHeaderLayout.dst(b) == FIRST_ADDRESS) {
                    onMessage(b, RpmsgHeaderLayout.src(b), len);
                }
            }
            rx.addConsumedBuffer(head, length);
            kick(rx);
        }
    }

    /** The echo application's callback. */
    private void onMessage(MemorySegment b, int src, int len) {
        if (len >= 4 && b.get(LE_U32, RpmsgHeaderLayout.SIZE) == OpenAmpLinuxProfile.SHUTDOWN_MAGIC) {
            shutdown = true;
            return;
        }
        if (send(src, b, RpmsgHeaderLayout.SIZE, len)) {
            echoes++;
        }
    }

    /** {@code rpmsg_send}: a blocking send, polling for a TX buffer with 1 ms sleeps for up to 15 s. */
    private boolean send(int dst, MemorySegment from, long offset, int len) {
        CVirtqueue tx = Objects.requireNonNull(vq0);
        for (int ticks = SEND_TICKS; ; ticks--) {
            int head = tx.getAvailableBuffer();
            if (head >= 0) {
                MemorySegment b = shm.asSlice(tx.lastAddr(), tx.lastLen());
                int bufferLength = tx.lastLen();
                if (bufferLength < RpmsgHeaderLayout.SIZE + len) {
                    throw new CPeerException(CPeerException.Reason.BAD_RING, name + ": a " + bufferLength
                            + "-byte TX buffer for " + len + " bytes");
                }
                RpmsgHeaderLayout.write(b, FIRST_ADDRESS, dst, len);
                MemorySegment.copy(from, offset, b, RpmsgHeaderLayout.SIZE, len);
                tx.addConsumedBuffer(head, bufferLength);
                kick(tx);
                return true;
            }
            if (ticks == 0) {
                sendFailures++;
                return false;
            }
            sendSleeps++;
            LockSupport.parkNanos(TICK_NANOS);
        }
    }

    /** Messages echoed so far. */
    public long echoes() {
        return echoes;
    }

    /** Sends that gave up after 15 s (the C program prints an error and the message is lost). */
    public long sendFailures() {
        return sendFailures;
    }

    /** 1 ms sleeps of blocked sends. */
    public long sendSleeps() {
        return sendSleeps;
    }

    @Override
    public String toString() {
        return name + "[echoes " + echoes + ", send failures " + sendFailures + ", send sleeps " + sendSleeps
                + ", kicks sent " + kicksSent() + ", blocked kicks " + blockedKicks() + ", wake-ups " + wakeUps() + ", " + rings() + "]";
    }
}
