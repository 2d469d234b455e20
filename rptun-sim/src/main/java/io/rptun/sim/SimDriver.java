package io.rptun.sim;

import io.rptun.core.lifecycle.RptunCallback;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunResource;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.virtio.Doorbell;
import io.rptun.sim.SimHeader.Side;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link RptunDriver} over a shared {@link SimFile}: the host (master) creates the file and lays out
 * the rptun region behind the sim header; a remote, in this JVM or another process, opens it and attaches.
 *
 * <ul>
 * <li><b>Boot handshake.</b> The host lays the region out, then {@link #start()} bumps the header's host
 * epoch. A remote's {@code start()} waits for an epoch no remote has claimed and claims it with a CAS:
 * one remote per layout, and a remote started before the host simply waits.</li>
 * <li><b>Doorbells.</b> {@link FutexDoorbell}s on the header's per-side words (the serving thread sleeps
 * on its own, the peer's {@code notify} wakes it only when it said it sleeps).</li>
 * <li><b>Liveness.</b> Each side bumps its heartbeat every {@code liveness / 5}; a watchdog on the same
 * thread reports the peer lost ({@link RptunCallback#peerLost}) when its heartbeat stood still for
 * {@code liveness}, or at once when the process whose pid it published is gone. A SIGKILLed remote is
 * therefore noticed within about {@code liveness / 5} (pid check), and a hung one within
 * {@code liveness}.</li>
 * <li><b>Booting the remote.</b> The host's {@code start()} runs an optional {@link RemoteLauncher} (a
 * child JVM running {@link RemoteMain}, or a thread) after each layout; {@code stop()} stops it.</li>
 * </ul>
 */
public final class SimDriver implements RptunDriver {
    private static final Logger LOG = LoggerFactory.getLogger(SimDriver.class);

    /** Boots a remote over the file after each layout (and stops it). */
    public interface RemoteLauncher {
        void launch(Path file);

        /** Stops what {@link #launch} started, waiting up to {@code grace} before forcing it. Idempotent. */
        void stop(Duration grace);
    }

    private final SimOptions options;
    private final boolean master;
    private final Side side;
    private final SimFile file;
    private final SimHeader header;
    private final FutexDoorbell doorbell;
    private final RptunResource resource;
    private final @Nullable RemoteLauncher launcher;
    private volatile @Nullable RptunCallback callback;
    private final WatchThread watchThread = new WatchThread();
    private volatile long epoch;
    /** The peer's pid as the watchdog last read it (the header may be unmapped by the time it is asked). */
    private volatile long peerPid;

    private SimDriver(SimOptions options, boolean master, SimFile file, @Nullable RemoteLauncher launcher) {
        this.options = options;
        this.master = master;
        this.side = master ? Side.HOST : Side.REMOTE;
        this.file = file;
        this.header = file.header();
        this.doorbell = FutexDoorbell.of(header, side, options.idle());
        this.resource = RptunResource.nuttx(file.region(), 0, AddressEnvironment.identity(), options.table());
        this.launcher = launcher;
    }

    /**
     * The host side: creates the file at {@code options.path()}, mode 0600, of the sim header plus
     * {@code options.regionSize()} bytes, exclusively; a provably stale simulator file there (its processes
     * gone) is replaced, anything else is refused untouched ({@link SimFile#createOrReplaceStale}).
     *
     * @param launcher what boots a remote after each layout, or null when remotes are started by others
     * @throws SimException FOREIGN_FILE, IN_USE, NOT_A_REGULAR_FILE, READ_ONLY, ... when the path holds
     *     something that is not a stale simulator file; FILE_MISSING, IO when it cannot be created
     */
    public static SimDriver host(SimOptions options, @Nullable RemoteLauncher launcher) {
        Objects.requireNonNull(options, "options");
        SimFile file = SimFile.createOrReplaceStale(options.path(), options.regionSize(), options.deleteOnClose(),
                options.liveness());
        return new SimDriver(options, true, file, launcher);
    }

    /**
     * The remote side: opens the host's file (waiting up to {@code options.attachTimeout()} for it to be
     * ready) and checks its magic, version and size.
     *
     * A file whose host is gone (the pid it names has exited) is refused with STALE before anything is
     * written to it.
     *
     * @throws SimException FILE_MISSING, NOT_READY, BAD_MAGIC, BAD_VERSION, WRONG_SIZE, NOT_A_REGULAR_FILE,
     *     READ_ONLY, STALE
     */
    public static SimDriver remote(SimOptions options) {
        Objects.requireNonNull(options, "options");
        SimFile file = openWaiting(options.path(), options.attachTimeout());
        try {
            checkHostAlive(file);
            return new SimDriver(options, false, file, null);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A remote never attaches to a layout whose host process is gone: nobody would ever serve it. */
    private static void checkHostAlive(SimFile file) {
        SimHeader h = file.header();
        long hostPid = h.pid(Side.HOST);
        long pid = hostPid != 0 ? hostPid : h.creatorPid();
        if (pid != 0 && !ProcFs.alive(pid)) {
            throw new SimException(SimException.Reason.STALE, file.path() + ": its host (pid " + pid + ") is gone, so"
                    + " nobody would answer; start a host on it first (it replaces the stale file)");
        }
    }

    /** Opens the file, waiting for it to appear as well as to be ready. */
    private static SimFile openWaiting(Path path, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return SimFile.open(path, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (SimException e) {
                if (e.reason() != SimException.Reason.FILE_MISSING || System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                LockSupport.parkNanos(10_000_000);
                if (Thread.currentThread().isInterrupted()) {
                    throw new SimException(SimException.Reason.INTERRUPTED, path + ": interrupted while waiting"
                            + " for the file to appear", e);
                }
            }
        }
    }

    /** The shared file. */
    public SimFile file() {
        return file;
    }

    /** The futex doorbell this side sleeps on. */
    public FutexDoorbell futexDoorbell() {
        return doorbell;
    }

    /** The epoch this side attached at (0 before the first start). */
    public long epoch() {
        return epoch;
    }

    @Override
    public String localCpuName() {
        return master ? options.hostName() : options.remoteName();
    }

    @Override
    public String remoteCpuName() {
        long pid = peerPid;
        if (pid == 0 && file.isOpen()) {
            pid = header.pid(side.peer());
        }
        String name = master ? options.remoteName() : options.hostName();
        return pid == 0 ? name : name + " (pid " + pid + ")";
    }

    @Override
    public RptunResource resource() {
        return resource;
    }

    @Override
    public boolean isMaster() {
        return master;
    }

    @Override
    public @Nullable Doorbell doorbell() {
        return doorbell;
    }

    @Override
    public void registerCallback(@Nullable RptunCallback callback) {
        this.callback = callback;
    }

    @Override
    public void notify(int notifyId) {
        doorbell.notify(notifyId);
    }

    /**
     * Host: publishes a new epoch (the layout is done) and boots the remote. Remote: waits for an
     * unclaimed epoch and claims it. Both then publish pid, epoch and a heartbeat and start the watchdog.
     */
    @Override
    public void start() {
        watchThread.stop();
        if (master) {
            epoch = header.bumpHostEpoch();
        } else {
            epoch = claim();
        }
        header.setPid(side, ProcessHandle.current().pid());
        header.setEpoch(side, epoch);
        header.setState(side, SimHeader.State.ATTACHED);
        watchThread.start(localCpuName() + "-sim-watchdog", this::watch);
        RemoteLauncher l = launcher;
        if (master && l != null) {
            l.launch(file.path());
        }
    }

    private long claim() {
        long begun = System.nanoTime();
        long deadline = begun + options.attachTimeout().toNanos();
        while (true) {
            if (header.hostEpoch() != 0 && header.state(Side.HOST) == SimHeader.State.ATTACHED) {
                long claimed = header.tryClaimHostEpoch();
                if (claimed != 0) {
                    return claimed;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new SimException(SimException.Reason.TIMEOUT, file.path() + ": no host layout to attach to"
                        + " within " + options.attachTimeout() + " (host epoch " + header.hostEpoch()
                        + ", claimed " + header.claimedEpoch() + ")");
            }
            LockSupport.parkNanos(5_000_000);
            if (Thread.currentThread().isInterrupted()) {
                throw new SimException(SimException.Reason.INTERRUPTED, file.path() + ": interrupted after "
                        + Duration.ofNanos(System.nanoTime() - begun).toMillis() + " ms of waiting for a host layout");
            }
        }
    }

    @Override
    public void stop() {
        watchThread.stop();
        RemoteLauncher l = launcher;
        if (l != null) {
            l.stop(Duration.ofSeconds(2));
        }
        if (file.isOpen()) {
            header.setState(side, SimHeader.State.DETACHED);
        }
    }

    @Override
    public void close() {
        try {
            stop();
            if (file.isOpen()) {
                header.setState(side, SimHeader.State.CLOSED_CLEANLY);
            }
        } finally {
            doorbell.close();
            file.close();
        }
    }

    // ---------------------------------------------------------------- liveness

    /** Bumps our heartbeat and watches the peer's, every liveness / 5, until stopped. */
    private void watch() {
        long period = Math.max(1_000_000, options.liveness().toNanos() / 5);
        long limit = options.liveness().toNanos();
        Side peer = side.peer();
        long lastBeat = -1;
        long lastChange = System.nanoTime();
        long claimedAt = 0;
        boolean attached = false;
        while (watchThread.running()) {
            header.bumpHeartbeat(side);
            long now = System.nanoTime();
            long peerEpoch = header.epoch(peer);
            boolean peerHere = master ? peerEpoch == epoch : header.hostEpoch() == epoch;
            if (peerHere) {
                long beat = header.heartbeat(peer);
                if (!attached || beat != lastBeat) {
                    attached = true;
                    lastBeat = beat;
                    lastChange = now;
                }
                String lost = null;
                long pid = header.pid(peer);
                peerPid = pid;
                Optional<ProcessHandle> handle = pid <= 0 ? Optional.empty() : ProcessHandle.of(pid);
                if (pid > 0 && (handle.isEmpty() || !handle.get().isAlive())) {
                    lost = "its process " + pid + " is gone";
                } else if (header.state(peer) == SimHeader.State.CLOSED_CLEANLY) {
                    lost = "it closed";
                } else if (now - lastChange > limit) {
                    lost = "its heartbeat stood still for " + (now - lastChange) / 1_000_000 + " ms";
                } else if (!master && header.hostEpoch() != epoch) {
                    lost = "the host laid the memory out again (epoch " + header.hostEpoch() + ")";
                }
                if (lost != null) {
                    report(lost);
                    return;
                }
            } else if (attached && master) {
                report("it detached");
                return;
            } else if (master && header.claimedEpoch() == epoch) {
                // A remote claimed this layout but does not show our epoch (yet): it must within the
                // liveness period, or be found dead sooner; otherwise a remote that rewrote its epoch before
                // our first look would never be watched.
                if (claimedAt == 0) {
                    claimedAt = now;
                }
                long pid = header.pid(peer);
                peerPid = pid;
                if (pid > 0 && !ProcFs.alive(pid)) {
                    report("its process " + pid + " is gone");
                    return;
                }
                if (now - claimedAt > limit) {
                    report("it claimed this layout but its epoch has stood at " + peerEpoch + " (ours " + epoch
                            + ") for " + (now - claimedAt) / 1_000_000 + " ms");
                    return;
                }
            } else if (!master && attached) {
                report("the host laid the memory out again (epoch " + header.hostEpoch() + ")");
                return;
            }
            LockSupport.parkNanos(period);
        }
    }

    private void report(String why) {
        RptunCallback c = callback;
        LOG.info("{}: peer {} lost: {}", localCpuName(), remoteCpuName(), why);
        if (c != null) {
            c.peerLost(why);
        }
    }

    @Override
    public String toString() {
        return "SimDriver[" + side + " " + file.path() + " epoch " + epoch + "]";
    }
}
