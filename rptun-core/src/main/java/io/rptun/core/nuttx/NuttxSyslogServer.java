package io.rptun.core.nuttx;

import io.rptun.core.nuttx.NuttxServiceException.Reason;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of NuttX's {@code rpmsg-syslog} ({@code syslog_rpmsg_server.c}): what NuttX's
 * {@code server} runs to print the {@code proxy}'s log. The client (the peer) sends TRANSFER messages of
 * log bytes, cut anywhere; this side gives each complete line to a {@link LineListener} (without its
 * {@code '\n'}, NUL bytes removed, UTF-8), keeps a partial line until its end arrives, and flushes it as a
 * line when the peer's endpoint goes away or this closes, as NuttX does. TRANSFER is never answered.
 *
 * <p>{@link #sync} sends SYNC with a cookie; the client sends everything it holds and echoes the SYNC, so
 * when sync returns every line logged before it has been given to the listener (NuttX's {@code FIOC_DUMP}).
 * {@link #suspend()} and {@link #resume()} ask the client to hold its log and to send it again.
 *
 * <p>Untrusted peer: shorter than its header, a {@code count} beyond the message (the bytes really there are
 * used), an unknown command, a SYNC echo nobody waits for: counted in {@link #drops()}, never thrown. A
 * partial line longer than {@link #MAX_LINE} bytes is given out as it stands.
 */
public final class NuttxSyslogServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NuttxSyslogServer.class);
    /** The endpoint name. */
    public static final String NAME = "rpmsg-syslog";
    /** The longest line kept whole; longer ones are cut (NuttX merges at most 256 bytes). */
    public static final int MAX_LINE = 4096;

    /** Takes the lines, on the device's serving thread, in order; must not block. */
    @FunctionalInterface
    public interface LineListener {
        void onLine(String line);
    }

    private final LineListener listener;
    private final RpmsgEndpoint endpoint;
    private final ServiceDrops drops = new ServiceDrops(LOG, NAME);
    private final LongAdder lines = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder listenerFailures = new LongAdder();
    private final ConcurrentHashMap<Long, CountDownLatch> syncs = new ConcurrentHashMap<>();
    private final AtomicLong nextCookie = new AtomicLong(ThreadLocalRandom.current().nextLong() & 0x7FFF_FFFF_0000_0000L);
    /** The partial line; touched only under its own monitor (the serving thread, and close()). */
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    private NuttxSyslogServer(RpmsgDevice device, LineListener listener) {
        this.listener = listener;
        this.endpoint = device.createEndpoint(NAME, new Handler());
    }

    /**
     * Creates the {@value #NAME} endpoint on {@code device}; lines go to {@code listener}.
     *
     * @throws RpmsgException as {@link RpmsgDevice#createEndpoint(String, RpmsgListener)} gives it
     */
    public static NuttxSyslogServer open(RpmsgDevice device, LineListener listener) {
        return new NuttxSyslogServer(Objects.requireNonNull(device, "device"), Objects.requireNonNull(listener, "listener"));
    }

    /** The endpoint. */
    public RpmsgEndpoint endpoint() {
        return endpoint;
    }

    /** Waits until the client's endpoint is known; false if {@code timeout} passed first. */
    public boolean awaitBound(Duration timeout) {
        return endpoint.awaitBound(timeout);
    }

    /** Lines given to the listener. */
    public long lines() {
        return lines.sum();
    }

    /** Log bytes received (NULs included). */
    public long bytes() {
        return bytes.sum();
    }

    /** Lines the listener threw on (counted, logged at DEBUG, and the next line still goes to it). */
    public long listenerFailures() {
        return listenerFailures.sum();
    }

    /** What was dropped, per reason. */
    public ServiceDrops drops() {
        return drops;
    }

    /**
     * Asks the client for everything it holds and waits for its echo: then every line it logged before has
     * been given to the listener. Not from a callback of this device.
     *
     * @throws NuttxServiceException NOT_BOUND, NO_ANSWER after {@code timeout}, INTERRUPTED
     * @throws RpmsgException when the SYNC cannot be sent
     */
    public void sync(Duration timeout) {
        checkBound();
        long cookie = nextCookie.getAndIncrement();
        CountDownLatch done = new CountDownLatch(1);
        syncs.put(cookie, done);
        try {
            RpmsgTxBuffer tx = endpoint.txBuffer();
            NuttxSyslogLayout.writeSync(tx.payload(), cookie);
            tx.send(NuttxSyslogLayout.SYNC_SIZE);
            if (!done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new NuttxServiceException(Reason.NO_ANSWER, "the syslog client did not echo SYNC within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NuttxServiceException(Reason.INTERRUPTED, "interrupted waiting for the syslog client's SYNC");
        } finally {
            syncs.remove(cookie);
        }
    }

    /** Asks the client to hold its log (SUSPEND); it keeps the newest of what it holds. */
    public void suspend() {
        command(NuttxSyslogLayout.SUSPEND);
    }

    /** Asks the client to send its log again (RESUME). */
    public void resume() {
        command(NuttxSyslogLayout.RESUME);
    }

    /** Gives out the partial line, if any, and destroys the endpoint. */
    @Override
    public void close() {
        endpoint.destroy();
        flushPartial();
    }

    private void command(int command) {
        checkBound();
        RpmsgTxBuffer tx = endpoint.txBuffer();
        NuttxSyslogLayout.writeHeader(tx.payload(), command);
        tx.send(NuttxSyslogLayout.HEADER_SIZE);
    }

    private void checkBound() {
        if (!endpoint.isBound()) {
            throw new NuttxServiceException(endpoint.isDestroyed() ? Reason.CLOSED : Reason.NOT_BOUND,
                    "the syslog client's endpoint is not known (" + endpoint + ")");
        }
    }

    private void onTransfer(MemorySegment in, int length) {
        if (length < NuttxSyslogLayout.TRANSFER_SIZE) {
            drops.record(Reason.SHORT_MESSAGE, "a TRANSFER of " + length + " bytes");
            return;
        }
        int count = NuttxSyslogLayout.count(in);
        int available = length - NuttxSyslogLayout.TRANSFER_SIZE;
        if (count < 0 || count > available) {
            drops.record(Reason.BAD_LENGTH, "a TRANSFER whose count " + count + " is not within its " + available
                    + " data bytes (the bytes there are taken)");
            count = count < 0 ? 0 : available;
        }
        bytes.add(count);
        synchronized (partial) {
            for (long i = NuttxSyslogLayout.TRANSFER_SIZE; i < NuttxSyslogLayout.TRANSFER_SIZE + count; i++) {
                byte b = in.get(ValueLayout.JAVA_BYTE, i);
                if (b == '\n') {
                    emit();
                } else if (b != 0) {
                    partial.write(b);
                    if (partial.size() >= MAX_LINE) {
                        emit();
                    }
                }
            }
        }
    }

    private void flushPartial() {
        synchronized (partial) {
            if (partial.size() > 0) {
                emit();
            }
        }
    }

    /** Gives out the partial line (under its monitor). */
    private void emit() {
        String line = partial.toString(StandardCharsets.UTF_8);
        partial.reset();
        lines.increment();
        try {
            listener.onLine(line);
        } catch (RuntimeException e) {
            listenerFailures.increment();
            LOG.debug("{}: the line listener threw", NAME, e);
        }
    }

    private void onSync(MemorySegment in, int length) {
        if (length < NuttxSyslogLayout.SYNC_SIZE) {
            drops.record(Reason.SHORT_MESSAGE, "a SYNC of " + length + " bytes");
            return;
        }
        CountDownLatch done = syncs.remove(NuttxSyslogLayout.cookie(in));
        if (done == null) {
            drops.record(Reason.UNEXPECTED_RESPONSE, "a SYNC echo that no sync waits for");
            return;
        }
        done.countDown();
    }

    private final class Handler implements RpmsgListener {
        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            int length = msg.length();
            if (length < NuttxSyslogLayout.HEADER_SIZE) {
                drops.record(Reason.SHORT_MESSAGE, "a message of " + length + " bytes");
                return;
            }
            MemorySegment in = msg.payload();
            int command = NuttxSyslogLayout.command(in);
            switch (command) {
                case NuttxSyslogLayout.TRANSFER -> onTransfer(in, length);
                case NuttxSyslogLayout.SYNC -> onSync(in, length);
                default -> drops.record(Reason.UNKNOWN_COMMAND, "command " + Integer.toUnsignedString(command));
            }
        }

        @Override
        public void onUnbind(RpmsgEndpoint ep) {
            flushPartial();
        }
    }
}
