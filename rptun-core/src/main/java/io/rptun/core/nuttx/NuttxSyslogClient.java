package io.rptun.core.nuttx;

import io.rptun.core.nuttx.NuttxServiceException.Reason;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of NuttX's {@code rpmsg-syslog} ({@code syslog_rpmsg.c}): what NuttX's {@code proxy} runs
 * to send its log to the {@code server}. Log text goes into a ring of {@code capacity} bytes; a sender
 * thread sends it in TRANSFER messages (as much as a TX buffer holds) {@code delay} after the first unsent
 * byte (NuttX's {@code CONFIG_SYSLOG_RPMSG_WORK_DELAY}, 100 ms by default), at once when the ring is more
 * than three quarters full, and retries after {@code delay} while no TX buffer is free.
 *
 * <p>As NuttX's, it obeys the server: SUSPEND stops the timed sending, RESUME starts it again, SYNC sends
 * everything held (waiting for TX buffers, suspended or not) and then echoes the SYNC message back
 * unchanged. A write that finds the ring full first sends what it holds (waiting for TX buffers, suspended
 * or not, as NuttX's does); only when that is impossible (no server yet, or a send failed) are the oldest
 * bytes overwritten, counted in {@link #overwritten()}. Nothing is sent before the server's endpoint is
 * known; what was written meanwhile goes when it is.
 *
 * <p>Untrusted peer: a message shorter than its header or of an unknown command is counted in
 * {@link #drops()}; a SYNC shorter than 16 bytes is echoed all the same (the server matches it, not us).
 */
public final class NuttxSyslogClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NuttxSyslogClient.class);
    /** NuttX's default delay before log text is sent. */
    public static final Duration DEFAULT_DELAY = Duration.ofMillis(100);
    /** The ring's default size. */
    public static final int DEFAULT_CAPACITY = 4096;

    private final RpmsgEndpoint endpoint;
    private final Duration delay;
    private final ServiceDrops drops = new ServiceDrops(LOG, NuttxSyslogServer.NAME);
    private final LongAdder overwritten = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final ScheduledExecutorService sender;
    /** The ring and its indices, guarded by {@code this}: head = bytes written, tail = bytes sent or lost. */
    private final byte[] ring;
    private long head;
    private long tail;
    private boolean suspended;
    private @Nullable ScheduledFuture<?> scheduled;
    private volatile boolean closed;

    private NuttxSyslogClient(RpmsgDevice device, int capacity, Duration delay) {
        this.ring = new byte[capacity];
        this.delay = delay;
        this.sender = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("nuttx-syslog-client").unstarted(r));
        this.endpoint = device.createEndpoint(NuttxSyslogServer.NAME, new Handler());
    }

    /** A client with NuttX's defaults: a {@value #DEFAULT_CAPACITY}-byte ring, 100 ms delay. */
    public static NuttxSyslogClient open(RpmsgDevice device) {
        return open(device, DEFAULT_CAPACITY, DEFAULT_DELAY);
    }

    /**
     * Creates the {@value NuttxSyslogServer#NAME} endpoint on {@code device}.
     *
     * @param capacity the ring's size in bytes (at least 16)
     * @param delay how long log text waits before it is sent (zero: at once)
     * @throws RpmsgException as {@link RpmsgDevice#createEndpoint(String, RpmsgListener)} gives it
     */
    public static NuttxSyslogClient open(RpmsgDevice device, int capacity, Duration delay) {
        Objects.requireNonNull(device, "device");
        if (capacity < 16 || delay.isNegative()) {
            throw new IllegalArgumentException("capacity=" + capacity + ", delay=" + delay);
        }
        return new NuttxSyslogClient(device, capacity, delay);
    }

    /** The endpoint. */
    public RpmsgEndpoint endpoint() {
        return endpoint;
    }

    /** Waits until the server's endpoint is known; false if {@code timeout} passed first. */
    public boolean awaitBound(Duration timeout) {
        return endpoint.awaitBound(timeout);
    }

    /** Logs {@code line} (UTF-8), adding a {@code '\n'} unless it ends with one. */
    public void log(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0 || b[b.length - 1] != '\n') {
            byte[] withNl = new byte[b.length + 1];
            System.arraycopy(b, 0, withNl, 0, b.length);
            withNl[b.length] = '\n';
            b = withNl;
        }
        write(b);
    }

    /** Logs raw bytes (NuttX's syslog channel write: no newline is added). */
    public void write(byte[] bytes) {
        if (closed) {
            throw new NuttxServiceException(Reason.CLOSED, "the syslog client is closed");
        }
        boolean full;
        synchronized (this) {
            full = head + bytes.length - tail >= ring.length;
        }
        if (full && endpoint.isBound()) {
            try {
                transfer(true, true);
            } catch (RpmsgException e) {
                LOG.debug("syslog client: transfer of a full ring failed: {}", e.getMessage());
            }
        }
        synchronized (this) {
            for (byte b : bytes) {
                ring[(int) (head % ring.length)] = b;
                head++;
            }
            long lost = head - tail - ring.length;
            if (lost > 0) {
                tail += lost;
                overwritten.add(lost);
            }
            long space = ring.length - (head - tail);
            schedule(space < ring.length / 4 ? Duration.ZERO : delay);
        }
    }

    /**
     * Sends everything held now, waiting for TX buffers (suspended or not, as a SYNC does).
     *
     * @throws RpmsgException when a send fails
     */
    public void flush() {
        transfer(true, true);
    }

    /** Log bytes held and not sent yet. */
    public synchronized int pending() {
        return (int) (head - tail);
    }

    /** True between the server's SUSPEND and RESUME. */
    public synchronized boolean isSuspended() {
        return suspended;
    }

    /** Bytes overwritten before they could be sent. */
    public long overwritten() {
        return overwritten.sum();
    }

    /** Log bytes sent. */
    public long sent() {
        return sent.sum();
    }

    /** What was dropped, per reason. */
    public ServiceDrops drops() {
        return drops;
    }

    /** Sends what it can without waiting, stops the sender thread and destroys the endpoint. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (endpoint.isBound()) {
                transfer(false, true);
            }
        } catch (RuntimeException e) {
            LOG.debug("syslog client: last transfer failed", e);
        }
        sender.shutdownNow();
        endpoint.destroy();
    }

    /** Schedules a transfer after {@code after} unless one is due sooner (under {@code this}). */
    private void schedule(Duration after) {
        if (suspended || closed || !endpoint.isBound() || head == tail) {
            return;
        }
        ScheduledFuture<?> s = scheduled;
        if (s != null && !s.isDone() && s.getDelay(TimeUnit.NANOSECONDS) <= after.toNanos()) {
            return;
        }
        if (s != null) {
            s.cancel(false);
        }
        try {
            scheduled = sender.schedule(this::work, after.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            scheduled = null;
        }
    }

    /** The sender thread's work: send without waiting; what is left goes after another delay. */
    private void work() {
        try {
            transfer(false, false);
        } catch (RpmsgException e) {
            LOG.debug("syslog client: transfer failed: {}", e.getMessage());
        }
        synchronized (this) {
            scheduled = null;
            schedule(delay);
        }
    }

    /**
     * Sends what the ring holds, a TX buffer at a time; {@code wait}: waits for TX buffers, else stops at
     * the first that is not free; {@code evenSuspended}: sends while suspended too. The copy and the send
     * happen under {@code this} so transfers go in order.
     */
    private void transfer(boolean wait, boolean evenSuspended) {
        while (true) {
            synchronized (this) {
                if ((suspended && !evenSuspended) || head == tail) {
                    return;
                }
            }
            RpmsgTxBuffer tx = wait ? endpoint.txBuffer() : endpoint.tryTxBuffer();
            if (tx == null) {
                return;
            }
            synchronized (this) {
                int len = (int) Math.min(head - tail, tx.capacity() - NuttxSyslogLayout.TRANSFER_SIZE);
                if ((suspended && !evenSuspended) || len <= 0) {
                    tx.release();
                    return;
                }
                MemorySegment out = tx.payload();
                NuttxSyslogLayout.writeTransfer(out, len);
                for (int i = 0; i < len; i++) {
                    out.set(ValueLayout.JAVA_BYTE, NuttxSyslogLayout.TRANSFER_SIZE + i,
                            ring[(int) ((tail + i) % ring.length)]);
                }
                tx.send(NuttxSyslogLayout.TRANSFER_SIZE + len);
                tail += len;
                sent.add(len);
            }
        }
    }

    private final class Handler implements RpmsgListener {
        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            int length = msg.length();
            if (length < NuttxSyslogLayout.HEADER_SIZE) {
                drops.record(Reason.SHORT_MESSAGE, "a message of " + length + " bytes");
                return;
            }
            int command = NuttxSyslogLayout.command(msg.payload());
            switch (command) {
                case NuttxSyslogLayout.SUSPEND -> {
                    synchronized (NuttxSyslogClient.this) {
                        suspended = true;
                        ScheduledFuture<?> s = scheduled;
                        if (s != null) {
                            s.cancel(false);
                            scheduled = null;
                        }
                    }
                }
                case NuttxSyslogLayout.RESUME -> {
                    synchronized (NuttxSyslogClient.this) {
                        suspended = false;
                        schedule(Duration.ZERO);
                    }
                }
                case NuttxSyslogLayout.SYNC -> sync(ep, msg);
                default -> drops.record(Reason.UNKNOWN_COMMAND, "command " + Integer.toUnsignedString(command));
            }
        }

        /** NuttX: send everything (waiting for buffers), then the SYNC back as it came. */
        private void sync(RpmsgEndpoint ep, RpmsgMessage msg) {
            try {
                transfer(true, true);
                byte[] echo = msg.toByteArray();
                ep.sendTo(msg.src(), echo);
            } catch (RpmsgException e) {
                drops.record(Reason.SEND_FAILED, "SYNC not answered: " + e.getMessage());
            }
        }

        @Override
        public void onBound(RpmsgEndpoint ep) {
            synchronized (NuttxSyslogClient.this) {
                schedule(Duration.ZERO);
            }
        }
    }
}
