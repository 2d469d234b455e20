package io.rptun.core.lifecycle;

import io.rptun.core.RptunException;
import io.rptun.core.lifecycle.RptunLifecycleException.Reason;
import io.rptun.core.virtio.Doorbell;
import io.rptun.core.rpmsg.ParkingDoorbell;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.rpmsg.ServingLoop;
import io.rptun.core.rsc.NuttxCommand;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RPTUN link: NuttX's {@code rptun.c} on the JVM. It takes a {@link RptunDriver} and runs the
 * lifecycle:
 * <ul>
 * <li>{@link #start()}: the master lays out the shared memory (table, vrings, carveout heap), starts its
 * virtio driver and boots the remote; the remote waits for the master's table and attaches. A serving
 * thread then handles the peer's kicks and mailbox commands. The link is {@link RptunState#RUNNING} once
 * both sides are up (the remote's READY command, or the remote's own device seeing DRIVER_OK), and
 * {@link #device()} gives the rpmsg device.</li>
 * <li>{@link #stop()}, {@link #reset(int)} and {@link #panic()} use the driver's op when it has one, else
 * NuttX's command mailbox with an ACK ({@link RptunMailbox}); the peer's commands are obeyed the same way
 * (STOP stops this side, RESET restarts it, PANIC fails it).</li>
 * <li>A dead peer (reported by the driver: {@link RptunCallback#peerLost}) fails every pending send and
 * receiver with {@link RpmsgException.Reason#PEER_LOST}, naming the remote; {@link #reset(int)} then
 * starts a new session, to which a new remote can attach, and endpoints can be opened again.</li>
 * </ul>
 * Every change is a {@link RptunEvent} for the {@link RptunListener}s. Control operations are serialised;
 * they may be called from any thread except the serving thread (callbacks of the device).
 */
public final class Rptun implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rptun.class);
    private static final Duration LOST_PEER_ACK_WAIT = Duration.ofSeconds(1);

    private final RptunDriver driver;
    private final RptunOptions options;
    private final ReentrantLock control = new ReentrantLock();
    private final Object stateLock = new Object();
    private final Object announceLock = new Object();
    private final List<RptunListener> listeners = new CopyOnWriteArrayList<>();
    private volatile RptunState state = RptunState.OFFLINE;
    /** The state the listeners have been told of: what the await methods wait for (guarded by stateLock). */
    private RptunState announced = RptunState.OFFLINE;
    private volatile @Nullable Session session;
    private volatile @Nullable RptunException failure;
    private volatile int generation;
    /** Set by {@link #close()} before it takes the control lock, so a start waiting for RUNNING gives up. */
    private volatile boolean closeRequested;

    private Rptun(RptunDriver driver, RptunOptions options) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** An OFFLINE link over {@code driver}, started at once when the driver is autostart. */
    public static Rptun create(RptunDriver driver, RptunOptions options) {
        Rptun rptun = new Rptun(driver, options);
        if (driver.isAutostart()) {
            rptun.start();
        }
        return rptun;
    }

    // ---------------------------------------------------------------- observing

    /** The state now. */
    public RptunState state() {
        return state;
    }

    /** Why the link stopped working (PEER_LOST, FAILED, PANICKED), or null. */
    public @Nullable RptunException failure() {
        return failure;
    }

    /** The driver. */
    public RptunDriver driver() {
        return driver;
    }

    /** True on the master side. */
    public boolean isMaster() {
        return driver.isMaster();
    }

    /** The peer's name. */
    public String remoteCpuName() {
        return driver.remoteCpuName();
    }

    /** How many sessions were started (1 after the first start, +1 per reset). */
    public int generation() {
        return generation;
    }

    /** Adds a listener; it sees every later change. */
    public void addListener(RptunListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(RptunListener listener) {
        listeners.remove(listener);
    }

    /**
     * The rpmsg device of the running session.
     *
     * @throws RptunLifecycleException NOT_RUNNING when the link is not RUNNING (the cause is the failure)
     */
    public RpmsgDevice device() {
        Session s = session;
        if (state != RptunState.RUNNING || s == null) {
            throw notRunning();
        }
        return s.device;
    }

    /**
     * Waits until the link is RUNNING and returns its device.
     *
     * @throws RptunLifecycleException READY_TIMEOUT after {@code timeout}; NOT_RUNNING at once when the
     *     link is in a state that does not lead to RUNNING by itself (OFFLINE, PEER_LOST, FAILED, ...)
     */
    public RpmsgDevice awaitRunning(Duration timeout) {
        long begun = System.nanoTime();
        long deadline = begun + timeout.toNanos();
        synchronized (stateLock) {
            while (true) {
                RptunState s = announced;
                if (s == RptunState.RUNNING) {
                    return device();
                }
                if (s != RptunState.STARTING && s != RptunState.RESETTING) {
                    throw notRunning();
                }
                if (closeRequested) {
                    throw new RptunLifecycleException(Reason.CLOSED, describe() + " was closed after "
                            + waited(begun) + " of waiting to be up (state " + s + ")");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new RptunLifecycleException(Reason.READY_TIMEOUT, describe() + " was not up within "
                            + timeout + " (state " + s + ")");
                }
                try {
                    stateLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RptunLifecycleException(Reason.INTERRUPTED, "interrupted after " + waited(begun)
                            + " of waiting for " + describe() + " to be up");
                }
            }
        }
    }

    /** How long since {@code begun}, in seconds with one decimal: "8.0 s". */
    private static String waited(long begun) {
        return String.format(java.util.Locale.ROOT, "%.1f s", (System.nanoTime() - begun) / 1e9);
    }

    /** Waits until the state is {@code wanted}; returns false after {@code timeout}. */
    public boolean awaitState(RptunState wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stateLock) {
            while (announced != wanted) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    stateLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- control

    /**
     * Starts the link and waits until both sides are up (the options' ready timeout).
     *
     * @return the device
     * @throws RptunLifecycleException WRONG_STATE unless OFFLINE; START_FAILED (cause: the driver's or the
     *     table's typed error) or READY_TIMEOUT, after which the link is FAILED and everything is released
     */
    public RpmsgDevice start() {
        control.lock();
        try {
            requireState("start", RptunState.OFFLINE);
            failure = null;
            transition(RptunState.STARTING, "start");
            return startSession();
        } finally {
            control.unlock();
        }
    }

    /**
     * Stops the link: tells a live peer to stop (driver op or the mailbox's STOP, with an ACK), closes the
     * device (endpoints are destroyed, pending work fails with DEVICE_CLOSED), stops the serving thread and
     * the driver. OFFLINE afterwards; {@link #start()} may follow. Idempotent.
     */
    public void stop() {
        control.lock();
        try {
            stopLocked("stop", true);
        } finally {
            control.unlock();
        }
    }

    /**
     * Resets the remote and starts a new session: a live remote is told to reset with {@code value} (the
     * driver's op, else the mailbox's RESET with an ACK); the session is torn down, the driver stopped and
     * started again (the master lays the memory out afresh and boots a new remote; a remote re-attaches).
     * This is how a host recovers after {@link RptunState#PEER_LOST}. Endpoints of the old device are
     * gone: open them again on the new one.
     *
     * @return the new device, once RUNNING
     */
    public RpmsgDevice reset(int value) {
        control.lock();
        try {
            requireNot("reset", RptunState.CLOSED);
            Session s = session;
            RptunState before = state;
            if (s != null && (before == RptunState.RUNNING || before == RptunState.PEER_LOST) && !driver.reset(value)) {
                // A lost peer may only be hung: tell it too, but do not wait long for a dead one's ACK.
                sendCommand(s, new NuttxCommand(NuttxCommand.RESET, value & 0xFFFF),
                        before == RptunState.RUNNING ? options.mailboxTimeout() : LOST_PEER_ACK_WAIT);
            }
            transition(RptunState.RESETTING, "reset 0x" + Integer.toHexString(value));
            tearDown(s);
            driver.stop();
            failure = null;
            return startSession();
        } finally {
            control.unlock();
        }
    }

    /**
     * Makes the remote panic (the driver's op, else the mailbox's PANIC with an ACK); this side then fails
     * every pending operation and is PANICKED until {@link #reset} or {@link #stop}.
     */
    public void panic() {
        control.lock();
        try {
            Session s = session;
            requireState("panic", RptunState.RUNNING);
            if (s != null && !driver.panic()) {
                sendCommand(s, new NuttxCommand(NuttxCommand.PANIC, 0), options.mailboxTimeout());
            }
            String why = "the " + driver.remoteCpuName() + " was told to panic";
            fail(RptunState.PANICKED, new RptunLifecycleException(Reason.PEER_LOST, describe() + ": " + why), why);
        } finally {
            control.unlock();
        }
    }

    /** Stops, unregisters from the driver and closes it. CLOSED afterwards. Idempotent. */
    @Override
    public void close() {
        closeRequested = true;
        synchronized (stateLock) {
            stateLock.notifyAll(); // a start waiting for RUNNING gives up and releases the control lock
        }
        control.lock();
        try {
            if (state == RptunState.CLOSED) {
                return;
            }
            try {
                stopLocked("close", true);
            } finally {
                driver.registerCallback(null);
                driver.close();
                transition(RptunState.CLOSED, "closed");
            }
        } finally {
            control.unlock();
        }
    }

    /**
     * Marks the peer lost (what the driver's {@link RptunCallback#peerLost} does): the device fails every
     * pending send and receiver with PEER_LOST, naming the remote and {@code why}. Any thread.
     */
    public void peerLost(String why) {
        RptunState s = state;
        if (s != RptunState.RUNNING && s != RptunState.STARTING) {
            return;
        }
        String text = "the " + driver.remoteCpuName() + " was lost: " + why;
        fail(RptunState.PEER_LOST, new RptunLifecycleException(Reason.PEER_LOST, describe() + ": " + text), text);
    }

    // ---------------------------------------------------------------- sessions

    /** Brings up a session and waits for RUNNING; on failure releases it and leaves the link FAILED. */
    private RpmsgDevice startSession() {
        Session s = null;
        try {
            s = openSession();
            session = s;
            generation++;
            s.loop.start();
            if (driver.isMaster() && (!options.readyCommand() || s.mailbox == null)) {
                transitionIf(RptunState.RUNNING, "the " + driver.localCpuName() + " is up (no READY command expected)",
                        RptunState.STARTING, RptunState.RESETTING);
            }
            return awaitRunning(options.readyTimeout());
        } catch (RuntimeException e) {
            RptunException why = e instanceof RptunLifecycleException le && (le.reason() == Reason.READY_TIMEOUT
                    || le.reason() == Reason.CLOSED || le.reason() == Reason.INTERRUPTED) ? le
                    : e instanceof RptunLifecycleException le2 && le2.reason() == Reason.NOT_RUNNING && failure != null
                            ? Objects.requireNonNull(failure)
                            : new RptunLifecycleException(Reason.START_FAILED, describe() + " could not start: "
                                    + e.getMessage(), e);
            tearDown(s);
            try {
                driver.stop();
            } catch (RuntimeException stopFailed) {
                why.addSuppressed(stopFailed);
            }
            failure = why;
            transition(RptunState.FAILED, why.getMessage());
            throw why;
        }
    }

    private Session openSession() {
        // The driver's doorbell may exist only once it started (a remote that listens on a socket): kicks
        // before that are not lost, since the serving thread's first pass looks at everything.
        java.util.concurrent.atomic.AtomicReference<@Nullable Doorbell> bellRef =
                new java.util.concurrent.atomic.AtomicReference<>();
        driver.registerCallback(new RptunCallback() {
            @Override
            public void notified(int notifyId) {
                Doorbell b = bellRef.get();
                if (b != null) {
                    b.ring();
                }
            }

            @Override
            public void peerLost(String why) {
                Rptun.this.peerLost(why);
            }
        });
        RpmsgOptions rpmsg = options.rpmsg();
        if (rpmsg.name().equals(RpmsgOptions.defaults().name())) {
            rpmsg = rpmsg.withName(driver.localCpuName());
        }
        RptunResource.Attached attached;
        if (driver.isMaster()) {
            attached = driver.resource().attach(true, driver::notify, rpmsg);
            try {
                driver.config();
                driver.start();
            } catch (RuntimeException e) {
                attached.device().close();
                throw e;
            }
        } else {
            driver.start();
            attached = driver.resource().attach(false, driver::notify, rpmsg);
            driver.config();
        }
        Doorbell given = driver.doorbell();
        Doorbell bell = given != null ? given : new ParkingDoorbell();
        bellRef.set(bell);
        RptunMailbox mailbox = attached.table() == null ? null
                : new RptunMailbox(attached.table(), driver.isMaster(), driver::notify);
        return new Session(attached.device(), mailbox, bell, generation + 1);
    }

    private void tearDown(@Nullable Session s) {
        if (s == null) {
            return;
        }
        session = null;
        s.loop.stop(); // first: the device's close below is no failure to report
        try {
            s.device.close();
        } finally {
            s.loop.close(); // waits up to 5 s for the serving thread, and logs one that did not end
        }
    }

    private void stopLocked(String why, boolean tellPeer) {
        RptunState s0 = state;
        if (s0 == RptunState.OFFLINE || s0 == RptunState.CLOSED) {
            return;
        }
        Session s = session;
        if (tellPeer && s0 == RptunState.RUNNING && s != null && !s.peerLeaving) {
            sendCommand(s, new NuttxCommand(NuttxCommand.STOP, 0), options.mailboxTimeout());
        }
        transition(RptunState.STOPPING, why);
        try {
            tearDown(s);
        } finally {
            driver.stop();
            transition(RptunState.OFFLINE, why);
        }
    }

    /** A mailbox command with an ACK; a missing ACK or mailbox is logged, not thrown: the local side goes on. */
    private void sendCommand(Session s, NuttxCommand command, Duration ackWait) {
        RptunMailbox m = s.mailbox;
        if (m == null) {
            LOG.debug("{}: no mailbox for {}", describe(), command);
            return;
        }
        // A peer found dead while we wait (its pid gone, its socket closed) will not answer: stop waiting.
        RptunState before = state;
        if (!m.send(command, ackWait, () -> state != before
                && (state == RptunState.PEER_LOST || state == RptunState.CLOSED))) {
            LOG.warn("{}: the {} did not acknowledge {} (waited up to {})", describe(), driver.remoteCpuName(), command,
                    ackWait);
        }
    }

    /** A command the peer sent, on the serving thread: anything that tears the session down runs elsewhere. */
    private void onCommand(Session s, NuttxCommand c) {
        String peer = driver.remoteCpuName();
        switch (c.cmd()) {
            case NuttxCommand.READY -> {
                if (driver.isMaster()) {
                    transitionIf(RptunState.RUNNING, "the " + peer + " is up", RptunState.STARTING,
                            RptunState.RESETTING);
                }
            }
            case NuttxCommand.STOP -> {
                s.peerLeaving = true;
                offThread("stop", () -> {
                    control.lock();
                    try {
                        if (session == s) {
                            stopLocked("stopped by the " + peer, false);
                        }
                    } finally {
                        control.unlock();
                    }
                });
            }
            case NuttxCommand.RESET -> {
                // Stop touching the rings before the ACK goes out: the master lays them out afresh after it.
                String why = "reset 0x" + Integer.toHexString(c.value()) + " by the " + peer;
                s.peerLeaving = true;
                s.loop.stop();
                s.device.peerLost(why);
                offThread("reset", () -> {
                    control.lock();
                    try {
                        if (session == s) {
                            transition(RptunState.RESETTING, why);
                            tearDown(s);
                            driver.stop();
                            startSession();
                        }
                    } catch (RptunException e) {
                        LOG.warn("{}: restart after the {}'s reset failed: {}", describe(), peer, e.getMessage());
                    } finally {
                        control.unlock();
                    }
                });
            }
            case NuttxCommand.PANIC -> {
                String why = "panic requested by the " + peer;
                fail(RptunState.PANICKED, new RptunLifecycleException(Reason.PEER_LOST, describe() + ": " + why), why);
            }
            default -> LOG.warn("{}: ignored unknown mailbox command {} from the {}", describe(), c, peer);
        }
    }

    private void offThread(String what, Runnable action) {
        Thread.ofPlatform().daemon().name(driver.localCpuName() + "-rptun-" + what).start(action);
    }

    /** Fails the running session: its device fails everything with PEER_LOST; the serving thread ends. */
    private void fail(RptunState to, RptunException why, String text) {
        Session s = session;
        failure = why;
        if (s != null) {
            s.loop.stop();
            s.device.peerLost(text);
        }
        transition(to, text);
    }

    // ---------------------------------------------------------------- state

    private void transition(RptunState to, String why) {
        RptunState from;
        synchronized (stateLock) {
            from = state;
            if (from == to || from == RptunState.CLOSED) {
                return;
            }
            state = to;
        }
        announce(new RptunEvent(from, to, why));
    }

    private void transitionIf(RptunState to, String why, RptunState... expected) {
        RptunState from;
        synchronized (stateLock) {
            from = state;
            boolean ok = false;
            for (RptunState e : expected) {
                ok |= from == e;
            }
            if (!ok) {
                return;
            }
            state = to;
        }
        announce(new RptunEvent(from, to, why));
    }

    /**
     * Tells the listeners, then wakes the waiters: when {@link #start()} or {@link #awaitState} returns,
     * every listener has already seen the change. Announcements are serialised, in the order of the changes.
     */
    private void announce(RptunEvent event) {
        synchronized (announceLock) {
            fire(event);
            synchronized (stateLock) {
                announced = state;
                stateLock.notifyAll();
            }
        }
    }

    private void fire(RptunEvent event) {
        LOG.debug("{}: {} -> {} ({})", describe(), event.from(), event.to(), event.why());
        for (RptunListener l : listeners) {
            try {
                l.onStateChange(event);
            } catch (RuntimeException e) {
                LOG.warn("{}: a state listener failed", describe(), e);
            }
        }
    }

    private void requireState(String op, RptunState wanted) {
        if (state != wanted) {
            throw new RptunLifecycleException(state == RptunState.CLOSED ? Reason.CLOSED : Reason.WRONG_STATE,
                    op + " needs " + wanted + ", but " + describe() + " is " + state);
        }
    }

    private void requireNot(String op, RptunState unwanted) {
        if (state == unwanted) {
            throw new RptunLifecycleException(unwanted == RptunState.CLOSED ? Reason.CLOSED : Reason.WRONG_STATE,
                    op + ": " + describe() + " is " + state);
        }
    }

    private RptunLifecycleException notRunning() {
        RptunException f = failure;
        String text = describe() + " is " + state + (f == null ? "" : ": " + f.getMessage());
        return f == null ? new RptunLifecycleException(Reason.NOT_RUNNING, text)
                : new RptunLifecycleException(Reason.NOT_RUNNING, text, f);
    }

    private String describe() {
        return "rptun " + driver.localCpuName() + "<->" + driver.remoteCpuName();
    }

    @Override
    public String toString() {
        return describe() + " [" + state + ", generation " + generation + "]";
    }

    // ---------------------------------------------------------------- the serving thread

    /**
     * One started device and the {@link ServingLoop} that serves it, with the lifecycle's hooks: the command
     * mailbox is read before every pass, the first READY makes a remote announce itself, and a device that
     * fails (a ring found corrupt by the serving pass or by a sending thread) fails the link.
     */
    private final class Session implements ServingLoop.Hooks {
        final RpmsgDevice device;
        final @Nullable RptunMailbox mailbox;
        final ServingLoop loop;
        /** The peer told us to stop or reset: do not tell it back. */
        volatile boolean peerLeaving;

        Session(RpmsgDevice device, @Nullable RptunMailbox mailbox, Doorbell bell, int number) {
            this.device = device;
            this.mailbox = mailbox;
            this.loop = ServingLoop.builder(device, bell).threadName(driver.localCpuName() + "-rptun-" + number)
                    .name(describe()).idleWait(options.idleWait()).hooks(this).build();
        }

        @Override
        public void beforePass() {
            RptunMailbox m = mailbox;
            if (m != null) {
                for (NuttxCommand c = m.poll(); c != null && !loop.isStopped(); c = m.poll()) {
                    onCommand(this, c);
                    m.ack();
                }
            }
        }

        @Override
        public void deviceReady() {
            deviceUp(this);
        }

        @Override
        public void deviceFailed(RpmsgException why) {
            failure = why;
            transition(RptunState.FAILED, why.getMessage());
        }
    }

    /** The local device saw its peer (remote: DRIVER_OK): the remote announces itself to the master. */
    private void deviceUp(Session s) {
        if (driver.isMaster()) {
            return;
        }
        RptunMailbox m = s.mailbox;
        if (m != null && options.readyCommand()) {
            m.send(new NuttxCommand(NuttxCommand.READY, 0), Duration.ZERO);
        }
        transitionIf(RptunState.RUNNING, "the " + driver.remoteCpuName() + "'s device is up", RptunState.STARTING,
                RptunState.RESETTING);
    }
}
