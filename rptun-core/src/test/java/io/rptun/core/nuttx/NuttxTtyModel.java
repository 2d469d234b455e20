package io.rptun.core.nuttx;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A model of NuttX's {@code uart_rpmsg.c} as the proxy's console (its NSH shell) sees it, written from
 * peers.md section 3 independently of {@link NuttxTty}: header {@code {u32 command:31|response:1, i32
 * result, u64 cookie}}, WRITE 0 {@code {header, u32 count, u32 resolved, data}}, WAKEUP 1. It takes at most
 * {@link #acceptLimit} bytes of each WRITE, answers with the 24-byte header, sends WAKEUP after a partial
 * take, echoes what is typed and answers {@code uname -a} with {@code NuttX proxy ...} and a prompt. Its own
 * output goes from a writer thread, one WRITE in flight, waiting for a WAKEUP when the other side took fewer.
 */
final class NuttxTtyModel implements AutoCloseable {
    static final int RESPONSE = 0x8000_0000;
    static final String UNAME = "NuttX proxy 12.10.0 4ebc8a7291 Aug 22 2026 11:09:08 sim sim";

    /** One message as received. */
    record Frame(int word0, int result, long cookie, byte[] bytes) {
        int count() {
            return NuttxTestSupport.le(bytes).getInt(16);
        }

        int resolved() {
            return NuttxTestSupport.le(bytes).getInt(20);
        }

        byte[] data() {
            return Arrays.copyOfRange(bytes, 24, bytes.length);
        }
    }

    final RpmsgEndpoint endpoint;
    /** The other side's WRITEs, as received. */
    final List<Frame> writes = new CopyOnWriteArrayList<>();
    /** The other side's responses to our WRITEs. */
    final BlockingQueue<Frame> responses = new LinkedBlockingQueue<>();
    /** The other side's WAKEUPs. */
    final BlockingQueue<Frame> wakeups = new LinkedBlockingQueue<>();
    /** Every WAKEUP as received, for field checks. */
    final List<Frame> allWakeups = new CopyOnWriteArrayList<>();
    /** Every response as received, for field checks. */
    final List<Frame> allResponses = new CopyOnWriteArrayList<>();
    /** Bytes taken from the other side's WRITEs, in order. */
    final ByteArrayOutputStream typed = new ByteArrayOutputStream();
    volatile int acceptLimit = Integer.MAX_VALUE;
    /** When true, typed lines run as NSH commands with echo; else bytes are only kept. */
    volatile boolean shell = true;
    private final StringBuilder line = new StringBuilder();
    private final BlockingQueue<byte[]> output = new LinkedBlockingQueue<>();
    private final Thread writer;
    private long cookie = 0x1000;
    private volatile boolean closed;

    NuttxTtyModel(RpmsgDevice device) {
        endpoint = device.createEndpoint("rpmsg-ttyproxy", (ep, msg) -> onMessage(ep, msg.toByteArray()));
        writer = Thread.ofPlatform().daemon().name("nuttx-tty-model").start(this::writeLoop);
    }

    private void onMessage(RpmsgEndpoint ep, byte[] bytes) {
        ByteBuffer b = NuttxTestSupport.le(bytes);
        Frame f = new Frame(b.getInt(0), b.getInt(4), b.getLong(8), bytes);
        if ((f.word0() & RESPONSE) != 0) {
            allResponses.add(f);
            responses.add(f);
            return;
        }
        if (f.word0() == 1) {
            allWakeups.add(f);
            wakeups.add(f);
            return;
        }
        writes.add(f);
        byte[] data = f.data();
        int take = Math.min(f.count(), Math.min(acceptLimit, data.length));
        synchronized (typed) {
            typed.write(data, 0, take);
        }
        byte[] answer = Arrays.copyOf(bytes, 24);
        NuttxTestSupport.le(answer).putInt(0, RESPONSE).putInt(4, take);
        ep.send(answer);
        if (take < f.count()) {
            ep.send(NuttxTestSupport.le(16).putInt(1).putInt(0).putLong(0).array());
        }
        if (shell) {
            for (int i = 0; i < take; i++) {
                onChar((char) data[i]);
            }
        }
    }

    /** NSH's readline: echo, and run the line on Enter. */
    private void onChar(char c) {
        if (c == '\r' || c == '\n') {
            String cmd = line.toString().strip();
            line.setLength(0);
            print("\n" + (cmd.equals("uname -a") ? UNAME + "\n" : cmd.isEmpty() ? "" : "nsh: " + cmd + ": command not found\n")
                    + "nsh> ");
        } else {
            line.append(c);
            print(String.valueOf(c));
        }
    }

    /** The console prints {@code text} (from the writer thread). */
    void print(String text) {
        output.add(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The console prints raw bytes. */
    void print(byte[] bytes) {
        output.add(bytes);
    }

    String typed() {
        synchronized (typed) {
            return typed.toString(StandardCharsets.UTF_8);
        }
    }

    private void writeLoop() {
        try {
            while (!closed) {
                byte[] data = output.poll(100, TimeUnit.MILLISECONDS);
                if (data == null) {
                    continue;
                }
                int off = 0;
                while (off < data.length) {
                    int n = Math.min(data.length - off, endpoint.maxPayload() - 24);
                    long c = cookie++;
                    ByteBuffer m = NuttxTestSupport.le(24 + n).putInt(0).putInt(-6).putLong(c).putInt(n).putInt(0);
                    m.put(data, off, n);
                    endpoint.send(m.array());
                    Frame r = responses.poll(10, TimeUnit.SECONDS);
                    while (r != null && r.cookie() != c) {
                        // An answer to a WRITE a test sent by hand: not ours.
                        r = responses.poll(10, TimeUnit.SECONDS);
                    }
                    if (r == null) {
                        throw new AssertionError("no response to WRITE " + c);
                    }
                    int took = Math.max(0, Math.min(r.result(), n));
                    off += took;
                    if (took < n && wakeups.poll(10, TimeUnit.SECONDS) == null) {
                        throw new AssertionError("no WAKEUP after a partial take");
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        writer.join(10_000);
    }
}
