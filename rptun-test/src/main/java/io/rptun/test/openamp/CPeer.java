package io.rptun.test.openamp;

import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.Vring;
import io.rptun.sim.SimFile;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What both programs of OpenAMP's Linux demo machine share (peers.md section 1): the 0x80000-byte shm
 * file, the UNIX socket that carries one 0x01 byte per kick, and above all the way they wait.
 *
 * <p>{@link #platformPoll()} is {@code platform_poll}: sleep until the socket has delivered at least one kick
 * byte (kicks that came while the program was busy count: the C socket thread clears a flag for each), then
 * {@code remoteproc_get_notification(ANY)}: <em>one</em> pass over every vring, vring 0 then vring 1, and
 * back to the caller. Nothing else ever looks at a ring: no kick, no progress, whatever waits in the rings.
 * That is the point of the model: rptun must keep such a peer going with its kicks alone.
 *
 * <p>A wait longer than the stall limit without a kick throws {@link CPeerException.Reason#STALLED} (a real C
 * program would sleep for ever); so does passing the run's deadline. Either message carries both vrings'
 * indices and flags.
 */
public abstract class CPeer implements AutoCloseable {
    /** The endpoint address OpenAMP hands out first ({@code RPMSG_RESERVED_ADDRESSES}). */
    static final int FIRST_ADDRESS = 0x400;
    private static final Duration SLICE = Duration.ofMillis(100);

    final String name;
    final SimFile file;
    final MemorySegment shm;
    final Duration stallLimit;
    @Nullable CSocket socket;
    @Nullable LiveResourceTable table;
    @Nullable CVirtqueue vq0;
    @Nullable CVirtqueue vq1;
    private long deadline = Long.MAX_VALUE;
    private long kicksSent;
    private long wakeUps;

    CPeer(String name, SimFile file, Duration stallLimit) {
        this.name = name;
        this.file = file;
        this.shm = file.segment();
        this.stallLimit = Objects.requireNonNull(stallLimit, "stallLimit");
    }

    /** Everything after this instant fails with STALLED, however many kicks come (a live-lock is a stall too). */
    public void deadline(Duration fromNow) {
        deadline = System.nanoTime() + fromNow.toNanos();
    }

    /** Reads the table the remote wrote and makes both vrings' views; {@code driver} for the host. */
    final void attachRings(boolean driver) {
        ParsedResourceTable parsed = ResourceTableParser.parse(shm, ParseMode.OPENAMP);
        LiveResourceTable live = parsed.attach(shm);
        List<VringResource> vrings = parsed.table().vdevs().getFirst().vrings();
        CVirtqueue[] qs = new CVirtqueue[2];
        for (int i = 0; i < 2; i++) {
            VringResource r = vrings.get(i);
            long da = live.vringDa(0, i);
            Vring v = Vring.of(shm.asSlice(da, io.rptun.core.virtio.VringLayout.byteSize(r.num(), r.align())),
                    r.num(), r.align());
            qs[i] = new CVirtqueue(name + ".vring" + i, v, OpenAmpLinuxProfile.SHM_SIZE, driver);
        }
        table = live;
        vq0 = qs[0];
        vq1 = qs[1];
    }

    /**
     * {@code platform_poll}: waits for a kick (or kicks that came meanwhile), then one pass over every vring.
     *
     * @throws CPeerException STALLED, PEER_GONE
     */
    final void platformPoll() {
        CSocket ipi = Objects.requireNonNull(socket);
        long stallAt = System.nanoTime() + stallLimit.toNanos();
        while (true) {
            boolean kicked;
            try {
                kicked = ipi.awaitKick(SLICE);
            } catch (CPeerException e) {
                throw new CPeerException(e.reason(), name + ": " + e.getMessage() + "; " + rings());
            }
            long now = System.nanoTime();
            if (now - deadline > 0) {
                throw new CPeerException(CPeerException.Reason.STALLED, name + ": the run's deadline passed; " + rings());
            }
            if (kicked) {
                break;
            }
            if (now - stallAt > 0) {
                throw new CPeerException(CPeerException.Reason.STALLED, name + ": no kick for " + stallLimit
                        + " while waiting for one; " + rings());
            }
        }
        wakeUps++;
        // remoteproc_get_notification(RSC_NOTIFY_ID_ANY): every vring once, in table order.
        vring0Callback();
        vring1Callback();
    }

    /** What happens when vring 0 is notified (the host's RX, the remote's TX). */
    abstract void vring0Callback();

    /** What happens when vring 1 is notified (the host's TX, the remote's RX). */
    abstract void vring1Callback();

    /** {@code virtqueue_kick}: a kick byte unless the peer's flag on {@code q} says not to. */
    final void kick(CVirtqueue q) {
        if (q.mustNotify()) {
            try {
                Objects.requireNonNull(socket).kick(stallLimit);
            } catch (CPeerException e) {
                throw new CPeerException(e.reason(), name + ": " + e.getMessage() + "; " + rings());
            }
            kicksSent++;
        }
    }

    /** Kicks this side sent. */
    public final long kicksSent() {
        return kicksSent;
    }

    /** Kicks that had to wait for the other side to read its socket (a blocking {@code send} that blocked). */
    public final long blockedKicks() {
        CSocket ipi = socket;
        return ipi == null ? 0 : ipi.blockedWrites();
    }

    /** Times {@link #platformPoll()} woke and made a pass. */
    public final long wakeUps() {
        return wakeUps;
    }

    /** Both vrings' state, for failure messages. */
    public final String rings() {
        CVirtqueue a = vq0;
        CVirtqueue c = vq1;
        return a == null || c == null ? "rings not attached" : a + " " + c;
    }

    /** Closes the socket and unmaps (the remote also deletes) the file. */
    @Override
    public void close() {
        CSocket ipi = socket;
        try {
            if (ipi != null) {
                ipi.close();
            }
        } finally {
            file.close();
        }
    }
}
