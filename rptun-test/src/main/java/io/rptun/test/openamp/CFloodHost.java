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

/**
 * A model of OpenAMP's flood ping host ({@code msg-test-rpmsg-flood-ping}, process 1 of the Linux demo,
 * peers.md section 1), the virtio driver, behaving as the C program does:
 * <ul>
 *   <li>It connects to the socket, maps the remote's file, and does {@code rpmsg_init_vdev} as driver:
 *       zeroes both vrings, sets {@code VRING_AVAIL_F_NO_INTERRUPT} on its TX vring (vring 1:
 *       {@code virtqueue_disable_cb(svq)}), posts 256 RX buffers of 512 bytes from 0x10000 to vring 0,
 *       writes gfeatures and DRIVER_OK. No kick.</li>
 *   <li>It binds to {@value OpenAmpLinuxProfile#ENDPOINT_NAME} when the remote's name-service announcement
 *       arrives, which it sees only in a {@link #platformPoll()} pass.</li>
 *   <li>{@link #flood}: {@code rpmsg_trysend} in a loop; a TX buffer is one reclaimed from vring 1's used ring,
 *       else a new one carved from 0x30000 while descriptors are free, else "no buffer", and then it calls
 *       {@code platform_poll} (sleeps until the next kick). Then it waits, kick by kick, for every echo.
 *       Each send publishes one buffer and kicks unless the remote set NO_NOTIFY on vring 1.</li>
 *   <li>Its RX callback takes each echo off vring 0, checks it (content, length, order), posts the buffer
 *       again and kicks after each one unless the remote set NO_NOTIFY on vring 0.</li>
 * </ul>
 */
public final class CFloodHost extends CPeer {
    private static final ValueLayout.OfInt LE_U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BUFFER = OpenAmpLinuxProfile.BUFFER_SIZE;

    private int remoteAddress = RpmsgAddresses.ANY;
    private int txCarved;
    private long nextSeq;
    private int roundSize;
    private long roundFirst;
    private long echoed;
    private long echoes;
    private long noBuffer;

    private CFloodHost(SimFile file, Duration stallLimit) {
        super("c-flood-host", file, stallLimit);
    }

    /**
     * Connects to {@code socket} (the remote listens after it wrote the table), maps {@code shm} and starts
     * the driver; then waits, kick by kick, for the remote's announcement.
     *
     * @throws CPeerException STALLED if the announcement does not come within {@code stallLimit}
     */
    public static CFloodHost start(Path shm, Path socket, Duration connectTimeout, Duration stallLimit) {
        CSocket ipi = CSocket.connect(socket, connectTimeout, "c-flood-host");
        CFloodHost host;
        try {
            host = new CFloodHost(SimFile.openRaw(shm, OpenAmpLinuxProfile.SHM_SIZE), stallLimit);
        } catch (RuntimeException e) {
            ipi.close();
            throw e;
        }
        host.socket = ipi;
        try {
            host.initVdev();
            host.announce();
            while (host.remoteAddress == RpmsgAddresses.ANY) {
                host.platformPoll();
            }
        } catch (RuntimeException e) {
            host.close();
            throw e;
        }
        return host;
    }

    private void initVdev() {
        attachRings(true);
        LiveResourceTable t = Objects.requireNonNull(table);
        t.setStatus(0, 0);
        t.setGfeatures(0, t.dfeatures(0) & RpmsgAddresses.F_NS);
        CVirtqueue rx = Objects.requireNonNull(vq0);
        CVirtqueue tx = Objects.requireNonNull(vq1);
        // "send uses a busy loop when the buffer pool is exhausted": no kicks for returned TX buffers.
        tx.disableCallbacks();
        for (int i = 0; i < rx.num(); i++) {
            rx.addBuffer(OpenAmpLinuxProfile.RX_BUFFERS_OFFSET + (long) i * BUFFER, BUFFER, true);
        }
        // The rings and the posted buffers must be visible before DRIVER_OK (a release store).
        t.setStatus(0, RpmsgAddresses.STATUS_DRIVER_OK);
    }

    /**
     * {@code rpmsg_create_ept} with destination ANY: the host announces its endpoint first (an NS create to
     * 0x35, sent at once: every TX buffer is free).
     */
    private void announce() {
        if (!trySendRaw(NS, RpmsgNsMessageLayout.SIZE)) {
            throw new IllegalStateException("no TX buffer for the announcement");
        }
    }

    /**
     * Sends {@code count} messages of {@code size} bytes (17 to 496) as the flood test does and waits for
     * every echo, each checked.
     *
     * @throws CPeerException WRONG_ECHO, STALLED, PEER_GONE, BAD_RING
     */
    public void flood(int size, long count) {
        if (size < EchoPattern.MIN_SIZE || size > EchoPattern.MAX_SIZE) {
            throw new IllegalArgumentException("size=" + size);
        }
        roundSize = size;
        roundFirst = nextSeq;
        echoed = 0;
        long sent = 0;
        while (sent < count) {
            if (trySend(nextSeq, size)) {
                nextSeq++;
                sent++;
            } else {
                noBuffer++;
                platformPoll();
            }
        }
        while (echoed < count) {
            platformPoll();
        }
    }

    /** Sends OpenAMP's shutdown message (a u32 magic), waiting kick by kick for a buffer. */
    public void sendShutdown() {
        while (!trySendRaw(SHUTDOWN, 4)) {
            platformPoll();
        }
    }

    private boolean trySend(long seq, int size) {
        return trySendRaw(seq, size);
    }

    private static final long SHUTDOWN = -1;
    private static final long NS = -2;

    /** {@code rpmsg_trysend}: false ("no buffer") when no TX buffer can be had right now. */
    private boolean trySendRaw(long seq, int size) {
        CVirtqueue tx = Objects.requireNonNull(vq1);
        long addr;
        if (tx.getBuffer() >= 0) {
            addr = tx.lastAddr();
        } else if (tx.freeDescriptors() > 0) {
            addr = OpenAmpLinuxProfile.TX_BUFFERS_OFFSET + (long) txCarved * BUFFER;
            if (addr + BUFFER > OpenAmpLinuxProfile.SHM_SIZE) {
                return false;
            }
            txCarved++;
        } else {
            return false;
        }
        MemorySegment b = shm.asSlice(addr, BUFFER);
        if (seq == NS) {
            RpmsgHeaderLayout.write(b, FIRST_ADDRESS, RpmsgAddresses.NS_ADDR, size);
            RpmsgNsMessageLayout.write(b.asSlice(RpmsgHeaderLayout.SIZE, size), OpenAmpLinuxProfile.ENDPOINT_NAME,
                    FIRST_ADDRESS, RpmsgNsMessageLayout.CREATE);
        } else if (seq == SHUTDOWN) {
            RpmsgHeaderLayout.write(b, FIRST_ADDRESS, remoteAddress, size);
            b.set(LE_U32, RpmsgHeaderLayout.SIZE, OpenAmpLinuxProfile.SHUTDOWN_MAGIC);
        } else {
            RpmsgHeaderLayout.write(b, FIRST_ADDRESS, remoteAddress, size);
            EchoPattern.fill(b, RpmsgHeaderLayout.SIZE, seq, size);
        }
        tx.addBuffer(addr, BUFFER, false);
        kick(tx);
        return true;
    }

    @Override
    void vring0Callback() {
        CVirtqueue rx = Objects.requireNonNull(vq0);
        while (rx.getBuffer() >= 0) {
            long addr = rx.lastAddr();
            int usedLen = rx.lastLen();
            MemorySegment b = shm.asSlice(addr, BUFFER);
            if (usedLen >= RpmsgHeaderLayout.SIZE) {
                deliver(b);
            }
            rx.addBuffer(addr, BUFFER, true);
            kick(rx);
        }
    }

    private void deliver(MemorySegment b) {
        int len = RpmsgHeaderLayout.len(b);
        int dst = RpmsgHeaderLayout.dst(b);
        if (len > BUFFER - RpmsgHeaderLayout.SIZE) {
            return;
        }
        if (dst == RpmsgAddresses.NS_ADDR) {
            if (len == RpmsgNsMessageLayout.SIZE) {
                MemorySegment ns = b.asSlice(RpmsgHeaderLayout.SIZE, RpmsgNsMessageLayout.SIZE);
                if (RpmsgNsMessageLayout.name(ns).equals(OpenAmpLinuxProfile.ENDPOINT_NAME)) {
                    remoteAddress = RpmsgNsMessageLayout.flags(ns) == RpmsgNsMessageLayout.DESTROY
                            ? RpmsgAddresses.ANY : RpmsgNsMessageLayout.addr(ns);
                }
            }
            return;
        }
        if (dst != FIRST_ADDRESS) {
            return;
        }
        long seq = roundFirst + echoed;
        if (!EchoPattern.matches(b, RpmsgHeaderLayout.SIZE, len, seq, roundSize)) {
            throw new CPeerException(CPeerException.Reason.WRONG_ECHO, name + ": expected echo " + seq + " of "
                    + roundSize + " bytes, got " + len + " bytes carrying " + EchoPattern.seqOf(b,
                            RpmsgHeaderLayout.SIZE, len));
        }
        echoed++;
        echoes++;
    }

    @Override
    void vring1Callback() {
        // rpmsg_virtio_tx_callback: nothing; TX buffers are reclaimed by the next send.
    }

    /** Echoes checked so far. */
    public long echoes() {
        return echoes;
    }

    /** Times a send found no buffer and slept until the next kick. */
    public long noBufferWaits() {
        return noBuffer;
    }

    @Override
    public String toString() {
        return name + "[echoes " + echoes + ", kicks sent " + kicksSent() + ", wake-ups " + wakeUps()
                + ", no-buffer waits " + noBuffer + ", blocked kicks " + blockedKicks() + ", " + rings() + "]";
    }
}
