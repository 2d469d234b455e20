package io.rptun.core.lifecycle;

import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.NuttxCommand;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;

/**
 * NuttX's command mailbox in the resource table header's reserved words: {@code cmd_master} (written by
 * the master) and {@code cmd_slave} (written by the remote), each {@code (cmd << 16) | value}.
 *
 * <p>As in NuttX's {@code rptun.c}: a sender writes its own word and notifies all vrings; the receiver
 * takes the peer's word and writes DONE there, and acknowledges a command by writing ACK into its own
 * word and notifying; a sender that waits polls the peer's word for that ACK. Unlike NuttX:
 * <ul>
 * <li>a command that arrives while a sender polls for its ACK is not lost: it is queued for {@link #poll};</li>
 * <li>the ACK is written by {@link #ack()} once the command was handled, not when it is read, so a master
 * that waits for the ACK of RESET knows the remote has stopped touching the rings;</li>
 * <li>an ACK never overwrites a command of ours the peer has not taken yet (the peer's wait for that ACK
 * then times out, which it survives).</li>
 * </ul>
 * The words are written by an untrusted peer: an unknown command is handed over as it is, for the caller
 * to ignore.
 */
public final class RptunMailbox {
    private final LiveResourceTable table;
    private final boolean master;
    private final IntConsumer notifier;
    private final Queue<NuttxCommand> received = new ConcurrentLinkedQueue<>();
    private volatile boolean acked;

    /**
     * @param master true on the master side (it writes {@code cmd_master})
     * @param notifier kicks the peer with a notify id ({@link RptunDriver#NOTIFY_ALL})
     */
    public RptunMailbox(LiveResourceTable table, boolean master, IntConsumer notifier) {
        this.table = table;
        this.master = master;
        this.notifier = notifier;
    }

    /**
     * Takes what the peer wrote: an ACK is noted, a command is queued. Then returns the oldest queued
     * command, or null; {@link #ack()} it once handled. Called by the serving thread on every kick.
     */
    public @Nullable NuttxCommand poll() {
        takeFromPeer();
        return received.poll();
    }

    private synchronized void takeFromPeer() {
        NuttxCommand word = master ? table.slaveCommand() : table.masterCommand();
        if (word.cmd() == NuttxCommand.DONE && word.value() == 0) {
            return;
        }
        writePeer(new NuttxCommand(NuttxCommand.DONE, 0));
        if (word.cmd() == NuttxCommand.ACK) {
            acked = true;
            return;
        }
        received.add(word);
    }

    /** Acknowledges the command last handed out by {@link #poll()}. */
    public void ack() {
        synchronized (this) {
            NuttxCommand own = master ? table.masterCommand() : table.slaveCommand();
            if (own.cmd() != NuttxCommand.DONE && own.cmd() != NuttxCommand.ACK) {
                return;
            }
            writeOwn(new NuttxCommand(NuttxCommand.ACK, 0));
        }
        notifier.accept(RptunDriver.NOTIFY_ALL);
    }

    /**
     * Sends {@code command}; with a positive {@code ackTimeout}, waits for the peer's ACK.
     *
     * @return true when acknowledged (always true when not waiting)
     */
    public boolean send(NuttxCommand command, Duration ackTimeout) {
        return send(command, ackTimeout, () -> false);
    }

    /**
     * Sends {@code command} and waits for the ACK as {@link #send(NuttxCommand, Duration)}, but stops
     * waiting as soon as {@code giveUp} says so (the peer was found dead meanwhile).
     */
    public boolean send(NuttxCommand command, Duration ackTimeout, java.util.function.BooleanSupplier giveUp) {
        synchronized (this) {
            acked = false;
            writeOwn(command);
        }
        notifier.accept(RptunDriver.NOTIFY_ALL);
        if (ackTimeout.isZero()) {
            return true;
        }
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        long pause = 10_000;
        while (true) {
            takeFromPeer();
            if (acked) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted() || giveUp.getAsBoolean()) {
                return false;
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 1_000_000);
        }
    }

    /** The raw words, for a dump: {@code {cmd_master, cmd_slave}}. */
    public NuttxCommand[] words() {
        return new NuttxCommand[] {table.masterCommand(), table.slaveCommand()};
    }

    private void writeOwn(NuttxCommand c) {
        if (master) {
            table.setMasterCommand(c);
        } else {
            table.setSlaveCommand(c);
        }
    }

    private void writePeer(NuttxCommand c) {
        if (master) {
            table.setSlaveCommand(c);
        } else {
            table.setMasterCommand(c);
        }
    }
}
