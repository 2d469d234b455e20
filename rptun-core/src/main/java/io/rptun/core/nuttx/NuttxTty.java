package io.rptun.core.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;

import io.rptun.core.nuttx.NuttxServiceException.Reason;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One end of NuttX's rpmsg UART ({@code drivers/serial/uart_rpmsg.c}): endpoint {@code rpmsg-tty} + the
 * device name, e.g. {@code rpmsg-ttyproxy} for the NuttX server's {@code /dev/ttyproxy}, which is the
 * NuttX proxy's console. The protocol is the same in both directions, so this class is either end: on the
 * master it plays NuttX's server ({@code cu} on {@code /dev/ttyproxy}: {@link #output()} types into the
 * proxy's shell, {@link #input()} reads what the shell prints); on the slave it plays the proxy's console.
 *
 * <h2>Flow, as NuttX does it</h2>
 * <ul>
 * <li>Sending: one WRITE in flight at a time, at most a TX buffer's payload less 24 bytes, with
 *     {@code result} -ENXIO and a fresh cookie. The receiver answers with the 24-byte header, the response
 *     bit set and {@code result} = the bytes it took. All taken: the next WRITE goes. Fewer: the rest waits
 *     for the receiver's WAKEUP (or, should a WAKEUP be lost, is sent again after the write timeout).</li>
 * <li>Receiving: a WRITE's bytes go into a ring of {@code bufferSize} bytes (NuttX's {@code buf_size}, 4,096
 *     in the sim configs); as many as fit are taken and answered. When some did not fit, a WAKEUP goes once
 *     the reader has drained the ring to half.</li>
 * </ul>
 * {@link #output()}'s {@code write} returns when the peer took every byte; {@link #input()}'s {@code read}
 * blocks until bytes arrive, and returns -1 once this is closed.
 *
 * <p>Untrusted peer: shorter than its header, a {@code count} beyond the message (the bytes really there are
 * taken), a {@code result} beyond what was sent (taken as all), a response nobody waits for, an unknown
 * command: counted in {@link #drops()}, never thrown on the serving thread.
 */
public final class NuttxTty implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NuttxTty.class);
    /** The endpoint name's prefix; the device name follows. */
    public static final String PREFIX = "rpmsg-tty";
    /** NuttX's receive buffer in the sim configs. */
    public static final int DEFAULT_BUFFER = 4096;
    /** How long a write waits for a response, or for a WAKEUP before it sends again. */
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(15);

    private final RpmsgEndpoint endpoint;
    private final Duration writeTimeout;
    private final ServiceDrops drops;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Guards everything below; {@code changed} is signalled on every change a waiter may want. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final byte[] rx;
    private long rxHead;
    private long rxTail;
    private boolean throttled;
    private long inFlight = -1;
    private int inFlightCount;
    private int taken;
    private boolean responded;
    private long wakeups;
    private long nextCookie = 1;
    private boolean closed;
    private final InputStream input = new In();
    private final OutputStream output = new Out();

    private NuttxTty(RpmsgDevice device, String name, int bufferSize, Duration writeTimeout) {
        this.rx = new byte[bufferSize];
        this.writeTimeout = writeTimeout;
        this.drops = new ServiceDrops(LOG, name);
        this.endpoint = device.createEndpoint(name, new Handler());
    }

    /** {@code rpmsg-tty<devName>} with NuttX's 4,096-byte buffer and a 15 s write timeout. */
    public static NuttxTty open(RpmsgDevice device, String devName) {
        return open(device, devName, DEFAULT_BUFFER, DEFAULT_WRITE_TIMEOUT);
    }

    /**
     * Creates the endpoint {@code rpmsg-tty<devName>} on {@code device}.
     *
     * @param devName NuttX's device name: "proxy" for the sim configs' {@code /dev/ttyproxy}
     * @param bufferSize the receive ring, in bytes (at least 1)
     * @param writeTimeout how long a write waits for each response
     * @throws RpmsgException BAD_NAME when the name is longer than 31 bytes, and as
     *     {@link RpmsgDevice#createEndpoint(String, RpmsgListener)} gives it
     */
    public static NuttxTty open(RpmsgDevice device, String devName, int bufferSize, Duration writeTimeout) {
        Objects.requireNonNull(device, "device");
        if (bufferSize < 1 || !writeTimeout.isPositive()) {
            throw new IllegalArgumentException("bufferSize=" + bufferSize + ", writeTimeout=" + writeTimeout);
        }
        return new NuttxTty(device, PREFIX + devName, bufferSize, writeTimeout);
    }

    /** The endpoint. */
    public RpmsgEndpoint endpoint() {
        return endpoint;
    }

    /** Waits until the peer's endpoint is known; false if {@code timeout} passed first. */
    public boolean awaitBound(Duration timeout) {
        return endpoint.awaitBound(timeout);
    }

    /**
     * What the peer writes. {@code read} blocks; -1 once closed (after what was received is read).
     * For one reader thread.
     */
    public InputStream input() {
        return input;
    }

    /**
     * Bytes to the peer. {@code write} returns when the peer took them all; it throws
     * {@link NuttxServiceException} (unchecked) NOT_BOUND, NO_ANSWER, CLOSED or INTERRUPTED, and
     * {@link RpmsgException} when a send fails. Writers are served one at a time.
     */
    public OutputStream output() {
        return output;
    }

    /** What was dropped, per reason. */
    public ServiceDrops drops() {
        return drops;
    }

    /** Wakes every waiter (reads return -1 once drained, writes throw CLOSED) and destroys the endpoint. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        endpoint.destroy();
    }

    private void write(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        writeLock.lock();
        try {
            while (len > 0) {
                int n = writeOnce(b, off, len);
                off += n;
                len -= n;
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** One WRITE and its response; when the peer took fewer, waits for its WAKEUP. Returns bytes taken. */
    private int writeOnce(byte[] b, int off, int len) {
        if (!endpoint.isBound()) {
            throw new NuttxServiceException(closedOr(Reason.NOT_BOUND), "the peer's " + endpoint.name() + " is not known");
        }
        int room = endpoint.maxPayload() - NuttxTtyLayout.WRITE_SIZE;
        if (room < 1) {
            throw new IllegalStateException("a " + endpoint.maxPayload() + "-byte payload holds no tty data");
        }
        int chunk = Math.min(len, room);
        long cookie;
        long wakeupsBefore;
        lock.lock();
        try {
            checkOpen();
            cookie = nextCookie++;
            inFlight = cookie;
            inFlightCount = chunk;
            responded = false;
            wakeupsBefore = wakeups;
        } finally {
            lock.unlock();
        }
        RpmsgTxBuffer tx = endpoint.txBuffer();
        MemorySegment out = tx.payload();
        NuttxTtyLayout.writeWrite(out, false, NuttxTtyLayout.ENXIO, cookie, chunk);
        MemorySegment.copy(b, off, out, ValueLayout.JAVA_BYTE, NuttxTtyLayout.WRITE_SIZE, chunk);
        tx.send(NuttxTtyLayout.WRITE_SIZE + chunk);
        lock.lock();
        try {
            long nanos = writeTimeout.toNanos();
            while (!responded) {
                checkOpen();
                if (nanos <= 0) {
                    inFlight = -1;
                    throw new NuttxServiceException(Reason.NO_ANSWER, "no response to a tty WRITE within " + writeTimeout);
                }
                nanos = awaitNanos(nanos);
            }
            int n = taken;
            if (n < chunk) {
                // The peer is full: it sends WAKEUP once it has room. A lost WAKEUP costs one timeout.
                nanos = writeTimeout.toNanos();
                while (wakeups == wakeupsBefore && nanos > 0) {
                    checkOpen();
                    nanos = awaitNanos(nanos);
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    private long awaitNanos(long nanos) {
        try {
            return changed.awaitNanos(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            inFlight = -1;
            throw new NuttxServiceException(Reason.INTERRUPTED, "interrupted waiting for the tty peer");
        }
    }

    private void checkOpen() {
        if (closed) {
            inFlight = -1;
            throw new NuttxServiceException(Reason.CLOSED, endpoint.name() + " is closed");
        }
    }

    private Reason closedOr(Reason reason) {
        return closed || endpoint.isDestroyed() ? Reason.CLOSED : reason;
    }

    private int read(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        boolean wake = false;
        int n;
        lock.lock();
        try {
            while (rxHead == rxTail) {
                if (closed) {
                    return -1;
                }
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NuttxServiceException(Reason.INTERRUPTED, "interrupted reading " + endpoint.name());
                }
            }
            n = (int) Math.min(len, rxHead - rxTail);
            for (int i = 0; i < n; i++) {
                b[off + i] = rx[(int) ((rxTail + i) % rx.length)];
            }
            rxTail += n;
            if (throttled && rxHead - rxTail <= rx.length / 2) {
                throttled = false;
                wake = true;
            }
        } finally {
            lock.unlock();
        }
        if (wake) {
            sendWakeup();
        }
        return n;
    }

    private int available() {
        lock.lock();
        try {
            return (int) (rxHead - rxTail);
        } finally {
            lock.unlock();
        }
    }

    private void sendWakeup() {
        try {
            RpmsgTxBuffer tx = endpoint.txBuffer();
            NuttxTtyLayout.writeHeader(tx.payload(), NuttxTtyLayout.WAKEUP, false, 0, 0);
            tx.send(NuttxTtyLayout.HEADER_SIZE);
        } catch (RpmsgException e) {
            drops.record(Reason.SEND_FAILED, "WAKEUP not sent: " + e.getMessage());
        }
    }

    /** The peer's WRITE: take what fits, answer how much, and note that a WAKEUP is owed. */
    private void onWrite(RpmsgEndpoint ep, RpmsgMessage msg, MemorySegment in, int length) {
        if (length < NuttxTtyLayout.WRITE_SIZE) {
            drops.record(Reason.SHORT_MESSAGE, "a WRITE of " + length + " bytes");
            return;
        }
        int count = NuttxTtyLayout.count(in);
        int available = length - NuttxTtyLayout.WRITE_SIZE;
        if (count < 0 || count > available) {
            drops.record(Reason.BAD_LENGTH, "a WRITE whose count " + Integer.toUnsignedString(count)
                    + " is beyond its " + available + " data bytes (the bytes there are taken)");
            count = available;
        }
        int accepted;
        lock.lock();
        try {
            accepted = (int) Math.min(count, rx.length - (rxHead - rxTail));
            for (int i = 0; i < accepted; i++) {
                rx[(int) ((rxHead + i) % rx.length)] = in.get(ValueLayout.JAVA_BYTE, NuttxTtyLayout.WRITE_SIZE + i);
            }
            rxHead += accepted;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            RpmsgTxBuffer tx = ep.txBuffer();
            MemorySegment out = tx.payload();
            MemorySegment.copy(in, 0, out, 0, NuttxTtyLayout.WRITE_SIZE);
            out.set(LE_U32, NuttxTtyLayout.COMMAND_OFFSET,
                    NuttxTtyLayout.WRITE | NuttxTtyLayout.RESPONSE_BIT);
            out.set(LE_U32, NuttxTtyLayout.RESULT_OFFSET, accepted);
            tx.sendTo(msg.src(), NuttxTtyLayout.WRITE_SIZE);
        } catch (RpmsgException e) {
            drops.record(Reason.SEND_FAILED, "WRITE response not sent: " + e.getMessage());
        }
        if (accepted < count) {
            // Owed after the response, so the writer has it before the WAKEUP; if the reader already drained
            // the ring meanwhile, the WAKEUP goes now.
            boolean now;
            lock.lock();
            try {
                now = rxHead - rxTail <= rx.length / 2;
                throttled = !now;
            } finally {
                lock.unlock();
            }
            if (now) {
                sendWakeup();
            }
        }
    }

    private void onResponse(MemorySegment in, int length) {
        if (length < NuttxTtyLayout.WRITE_SIZE) {
            drops.record(Reason.SHORT_MESSAGE, "a WRITE response of " + length + " bytes");
            return;
        }
        long cookie = NuttxTtyLayout.cookie(in);
        int result = NuttxTtyLayout.result(in);
        lock.lock();
        try {
            if (cookie != inFlight || inFlight < 0) {
                drops.record(Reason.UNEXPECTED_RESPONSE, "a WRITE response that no write waits for");
                return;
            }
            if (result > inFlightCount) {
                drops.record(Reason.BAD_LENGTH, "a WRITE response taking " + result + " of " + inFlightCount + " bytes");
            }
            taken = Math.max(0, Math.min(result, inFlightCount));
            responded = true;
            inFlight = -1;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void onWakeup() {
        lock.lock();
        try {
            wakeups++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private final class Handler implements RpmsgListener {
        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            int length = msg.length();
            if (length < NuttxTtyLayout.HEADER_SIZE) {
                drops.record(Reason.SHORT_MESSAGE, "a message of " + length + " bytes");
                return;
            }
            MemorySegment in = msg.payload();
            int command = NuttxTtyLayout.command(in);
            if (NuttxTtyLayout.response(in)) {
                if (command == NuttxTtyLayout.WRITE) {
                    onResponse(in, length);
                } else {
                    drops.record(Reason.UNKNOWN_COMMAND, "a response to command " + command);
                }
            } else if (command == NuttxTtyLayout.WRITE) {
                onWrite(ep, msg, in, length);
            } else if (command == NuttxTtyLayout.WAKEUP) {
                onWakeup();
            } else {
                drops.record(Reason.UNKNOWN_COMMAND, "command " + command);
            }
        }
    }

    private final class In extends InputStream {
        @Override
        public int read() {
            byte[] one = new byte[1];
            int n = NuttxTty.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return NuttxTty.this.read(b, off, len);
        }

        @Override
        public int available() {
            return NuttxTty.this.available();
        }

        @Override
        public void close() {
            NuttxTty.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) {
            NuttxTty.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            NuttxTty.this.write(b, off, len);
        }

        @Override
        public void close() {
            NuttxTty.this.close();
        }
    }
}
