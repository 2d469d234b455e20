package io.rptun.test.nuttx;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntPredicate;
import java.util.function.IntSupplier;

/**
 * What both NuttX simulator sides share: two threads, as in NuttX. The {@code rptun} thread opens the file,
 * does the boot handshake, parses the table and creates the vdevs (a slave retries those whose driver is
 * not DRIVER_OK yet). The work item ({@code sim_rptun_work}) runs every poll period from the start: once
 * the file is mapped it reads the peer's mailbox word (STOP: the process aborts), its own reset bit, and
 * whether the peer's notify counter changed since the last look; if it did and the callback is
 * registered, it handles a pending mailbox command ({@code rptun_check_command}: cleared to DONE, ACKed)
 * and lets every created vdev process its queues. A notify is only this side's counter plus one.
 */
public abstract class NuttxSide implements AutoCloseable {
    /** Where a model is. ABORTED: it obeyed a STOP (or a RESET/PANIC command); FAULTED: it found bad data. */
    public enum State { NEW, BOOTING, RUNNING, ABORTED, FAULTED, STOPPED }

    protected final Path path;
    protected final NuttxModelOptions options;
    protected final List<Runnable> vdevs = new CopyOnWriteArrayList<>();
    private final Object notifyLock = new Object();
    private volatile NuttxSimFile file;
    private volatile State state = State.NEW;
    private volatile RuntimeException fault;
    private volatile String abortReason;
    private volatile int abortValue = -1;
    private volatile boolean callbackRegistered;
    private volatile boolean halted;
    private int seq;
    private Thread rptunThread;
    private Thread workThread;

    protected NuttxSide(Path path, NuttxModelOptions options) {
        this.path = path;
        this.options = options;
    }

    /** True for the master (server). */
    protected abstract boolean master();

    /** Opens the file ({@link #mapped}) and does this side's half of the handshake; returns the mapped file. */
    protected abstract NuttxSimFile boot();

    /** Creates the vdevs that can be; true when none remains. */
    protected abstract boolean createDevices();

    /** Work a side's services do on a timer of their own (modelled on the work item's tick). */
    protected void everyTick() {
    }

    /** The rpmsg device once created, else null. */
    protected volatile NuttxRpmsg rpmsg;
    /** The {@code rpmsg-ping} service once the rpmsg device is up, else null. */
    protected volatile NuttxPing ping;
    /** The {@code rpmsg-syslog} side: the server's (what arrived) or the proxy's client, else null. */
    protected volatile NuttxSyslog syslog;
    /** The console: the server's {@code /dev/ttyproxy} or the proxy's NSH, else null. */
    protected volatile NuttxTty tty;

    /** The rpmsg device once created, else null. */
    public NuttxRpmsg rpmsg() {
        return rpmsg;
    }

    /** The {@code rpmsg-ping} service once the rpmsg device is up, else null. */
    public NuttxPing ping() {
        return ping;
    }

    /**
     * The {@code rpmsg-syslog} side once bound, else null: on a server what the proxy logged
     * ({@link NuttxSyslog#lines()}), on a proxy the client ({@link NuttxSyslog#log}).
     */
    public NuttxSyslog syslog() {
        return syslog;
    }

    /**
     * The console once bound, else null: on a server the {@code /dev/ttyproxy} end ({@link NuttxTty#output()}),
     * on a proxy its NSH.
     */
    public NuttxTty tty() {
        return tty;
    }

    /** Starts both threads; returns at once. */
    public synchronized void start() {
        if (state != State.NEW) {
            throw new IllegalStateException("already started: " + state);
        }
        state = State.BOOTING;
        String name = master() ? "nuttx-server" : "nuttx-proxy";
        workThread = Thread.ofPlatform().daemon().name(name + "-work").start(this::workMain);
        rptunThread = Thread.ofPlatform().daemon().name(name + "-rptun").start(this::rptunMain);
    }

    public State state() {
        return state;
    }

    /** What made it FAULTED, or null. */
    public RuntimeException fault() {
        return fault;
    }

    /** Why it ABORTED ("STOP", "RESET", "PANIC"), or null. */
    public String abortReason() {
        return abortReason;
    }

    /** The command's value ({@code host_abort(value)}), or -1. */
    public int abortValue() {
        return abortValue;
    }

    /** The mapped file once booting opened it, else null. */
    public NuttxSimFile file() {
        return file;
    }

    /** Called by {@link #boot()} as soon as the file is mapped: the work item looks from then on, as NuttX's does. */
    protected final void mapped(NuttxSimFile f) {
        file = f;
    }

    protected final NuttxSimFile requireFile() {
        NuttxSimFile f = file;
        if (f == null) {
            throw new IllegalStateException("not booted");
        }
        return f;
    }

    /** {@code sim_rptun_notify}: this side's counter plus one. */
    public final void notifyPeer() {
        synchronized (notifyLock) {
            if (master()) {
                requireFile().incrementSeqm();
            } else {
                requireFile().incrementSeqs();
            }
        }
    }

    /** Waits in 1 ms polls until {@code test} holds for the word read by {@code read}; faults after bootStall. */
    protected final void waitFor(String what, IntSupplier read, IntPredicate test) {
        long deadline = System.nanoTime() + options.bootStall().toNanos();
        while (!test.test(read.getAsInt())) {
            if (halted) {
                throw new Halted();
            }
            if (System.nanoTime() > deadline) {
                throw new NuttxModelException("waited " + options.bootStall() + " for " + what);
            }
            NuttxRpmsg.sleepMillis(1);
        }
    }

    private void rptunMain() {
        try {
            file = boot();
            callbackRegistered = true;
            if (!halted) {
                state = State.RUNNING;
            }
            while (!halted && !createDevices()) {
                NuttxRpmsg.sleepMillis(options.retryPeriod().toMillis());
            }
        } catch (NuttxModelException e) {
            if (!halted) {
                fail(e);
            }
        } catch (Halted | IllegalStateException e) {
            if (!halted) {
                fail(new NuttxModelException("rptun thread: " + e));
            }
        }
    }

    private void workMain() {
        while (!halted) {
            try {
                if (file != null) {
                    tick();
                }
            } catch (NuttxModelException e) {
                if (!halted) {
                    fail(e);
                }
            } catch (IllegalStateException e) {
                if (!halted) {
                    fail(new NuttxModelException("work item: " + e));
                }
            }
            try {
                Thread.sleep(options.pollPeriod());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One run of {@code sim_rptun_work}. */
    private void tick() {
        NuttxSimFile f = file;
        int word = master() ? f.cmdSlave() : f.cmdMaster();
        if (NuttxSimFile.cmdOf(word) == NuttxSimFile.CMD_STOP) {
            abort("STOP", NuttxSimFile.cmdValue(word));
            return;
        }
        if (master() && (f.bootm() & NuttxSimFile.STATUS_NEED_RESET) != 0) {
            f.bootm(0);
            fail(new NuttxModelException("the slave restarted (bootm NEED_RESET): NuttX's rptun_boot asserts here"));
            return;
        }
        if (!master() && (f.boots() & NuttxSimFile.STATUS_NEED_RESET) != 0) {
            f.boots(0);
            fail(new NuttxModelException("the master restarted (boots NEED_RESET): this NuttX never re-handshakes"));
            return;
        }
        everyTick();
        int peer = master() ? f.seqs() : f.seqm();
        if (peer == seq) {
            return;
        }
        seq = peer;
        if (!callbackRegistered) {
            return;
        }
        checkCommand(f);
        for (Runnable vdev : vdevs) {
            if (halted) {
                return;
            }
            vdev.run();
        }
    }

    /** {@code rptun_check_command}: a pending command from the peer is cleared to DONE and ACKed. */
    private void checkCommand(NuttxSimFile f) {
        int word = master() ? f.cmdSlave() : f.cmdMaster();
        if (word == NuttxSimFile.CMD_DONE) {
            return;
        }
        int ack = NuttxSimFile.cmd(NuttxSimFile.CMD_ACK, 0);
        if (master()) {
            f.cmdSlave(NuttxSimFile.CMD_DONE);
            f.cmdMaster(ack);
        } else {
            f.cmdMaster(NuttxSimFile.CMD_DONE);
            f.cmdSlave(ack);
        }
        notifyPeer();
        switch (NuttxSimFile.cmdOf(word)) {
            case NuttxSimFile.CMD_RESET -> abort("RESET", NuttxSimFile.cmdValue(word));
            case NuttxSimFile.CMD_PANIC -> abort("PANIC", NuttxSimFile.cmdValue(word));
            default -> {
            }
        }
    }

    /** {@code host_abort}: the process is gone; nothing more is written. */
    private void abort(String reason, int value) {
        abortReason = reason;
        abortValue = value;
        state = State.ABORTED;
        halt();
    }

    private void fail(NuttxModelException e) {
        fault = e;
        state = State.FAULTED;
        halt();
    }

    /** Ends both threads (the process is killed): nothing more is written to the file. */
    protected final void halt() {
        halted = true;
        Thread current = Thread.currentThread();
        for (Thread t : new Thread[] {rptunThread, workThread}) {
            if (t != null && t != current) {
                t.interrupt();
            }
        }
    }

    /** {@code RPTUN_UNREGISTER_CALLBACK}: the work item keeps looking, but notifications reach no vdev. */
    protected final void unregisterCallback() {
        callbackRegistered = false;
    }

    protected final boolean halted() {
        return halted;
    }

    /** Kills the model (SIGKILL: nothing written), waits for its threads, unmaps. */
    @Override
    public void close() {
        halt();
        joinThreads();
        if (state != State.ABORTED && state != State.FAULTED) {
            state = State.STOPPED;
        }
        NuttxSimFile f = file;
        if (f != null) {
            f.close();
        }
    }

    protected final void joinThreads() {
        for (Thread t : new Thread[] {rptunThread, workThread}) {
            if (t != null && t != Thread.currentThread()) {
                try {
                    t.join(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Unwinds the rptun thread when the model is halted mid-wait. */
    protected static final class Halted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Halted() {
            super(null, null, false, false);
        }
    }
}
