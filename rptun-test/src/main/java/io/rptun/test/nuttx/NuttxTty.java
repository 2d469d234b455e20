package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * NuttX's rpmsg UART ({@code drivers/serial/uart_rpmsg.c}), as {@code sim_bringup.c} sets it up: both
 * sides run {@code uart_rpmsg_init(peer, "proxy", 4096, ...)}, so both create the endpoint
 * {@code rpmsg-ttyproxy} when the peer's cpu name matches; on the server it is {@code /dev/ttyproxy}, on
 * the proxy it is the console, with NSH behind it.
 *
 * <pre>
 * 0   command:31 | response:1 (bit 31)   WRITE 0, WAKEUP 1
 * 4   result  i32    (a WRITE: -ENXIO; its response: the bytes taken)
 * 8   cookie  u64
 * 16  count   u32    (WRITE) then count data bytes
 * 20  resolved u32
 * </pre>
 *
 * A WRITE is answered by its first 24 bytes with the response bit set and {@code result} = bytes taken
 * (this model takes them all). The proxy's console models NSH's line discipline just enough: typed bytes
 * are echoed, a line is run ({@code uname -a} answers {@code NuttX proxy ...}, anything else "command not
 * found"), then the prompt {@code nsh> }.
 */
public final class NuttxTty {
    public static final String PREFIX = "rpmsg-tty";
    public static final String NAME = PREFIX + "proxy";
    public static final int WRITE = 0;
    public static final int WAKEUP = 1;
    public static final int RESPONSE = 0x8000_0000;
    private static final int HEADER = 24;
    private static final int ENXIO = 6;
    /** What {@code uname -a} prints on the proxy (release and build are this model's). */
    public static final String UNAME = "NuttX proxy 12.10.0 4ebc8a72 Aug 22 2026 11:09:08 sim sim";

    private final NuttxRpmsg rpmsg;
    private final boolean shell;
    private final NuttxRpmsg.Endpoint endpoint;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final AtomicLong responses = new AtomicLong();
    private final AtomicLong cookies = new AtomicLong(0x7f00_0000_8000L);

    private NuttxTty(NuttxRpmsg rpmsg, boolean shell) {
        this.rpmsg = rpmsg;
        this.shell = shell;
        this.endpoint = rpmsg.createEndpoint(NAME, NuttxRpmsg.ADDR_ANY, this::onMessage);
    }

    /** The proxy's console (NSH behind it), if the peer is "server". */
    public static NuttxTty console(NuttxRpmsg rpmsg) {
        return "server".equals(rpmsg.remoteCpu()) ? new NuttxTty(rpmsg, true) : null;
    }

    /** The server's {@code /dev/ttyproxy}, if the peer is "proxy". */
    public static NuttxTty device(NuttxRpmsg rpmsg) {
        return "proxy".equals(rpmsg.remoteCpu()) ? new NuttxTty(rpmsg, false) : null;
    }

    public NuttxRpmsg.Endpoint endpoint() {
        return endpoint;
    }

    /** Everything the peer wrote to this side so far. */
    public String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    /** Responses received to this side's writes. */
    public long responses() {
        return responses.get();
    }

    /** {@code write(fd, text)}: one WRITE per buffer's worth (1,520 less the 24-byte header). */
    public void write(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int off = 0;
        do {
            int len = Math.min(bytes.length - off, rpmsg.maxPayload() - HEADER);
            byte[] msg = new byte[HEADER + len];
            MemorySegment seg = MemorySegment.ofArray(msg);
            seg.set(LE_U32, 0, WRITE);
            seg.set(LE_U32, 4, -ENXIO);
            seg.set(LE_U64, 8, cookies.get());
            seg.set(LE_U32, 16, len);
            System.arraycopy(bytes, off, msg, HEADER, len);
            endpoint.send(msg);
            off += len;
        } while (off < bytes.length);
    }

    private void onMessage(NuttxRpmsg.Endpoint ept, byte[] data, int src) {
        if (data.length < 16) {
            return;
        }
        MemorySegment seg = MemorySegment.ofArray(data);
        int word = seg.get(LE_U32, 0);
        if ((word & RESPONSE) != 0) {
            responses.incrementAndGet();
            return;
        }
        if ((word & ~RESPONSE) != WRITE || data.length < HEADER) {
            return;
        }
        int count = (int) Math.max(0, Math.min(Integer.toUnsignedLong(seg.get(LE_U32, 16)), data.length - HEADER));
        byte[] reply = Arrays.copyOf(data, HEADER);
        MemorySegment out = MemorySegment.ofArray(reply);
        out.set(LE_U32, 0, word | RESPONSE);
        out.set(LE_U32, 4, count);
        ept.send(reply);
        if (!shell) {
            synchronized (output) {
                output.write(data, HEADER, count);
            }
            return;
        }
        StringBuilder answer = new StringBuilder();
        for (int i = 0; i < count; i++) {
            byte b = data[HEADER + i];
            if (b == '\r' || b == '\n') {
                answer.append("\n").append(run(line.toString(StandardCharsets.UTF_8).trim())).append("nsh> ");
                line.reset();
            } else {
                answer.append((char) (b & 0xFF));
                line.write(b);
            }
        }
        if (!answer.isEmpty()) {
            write(answer.toString());
        }
    }

    private static String run(String command) {
        if (command.isEmpty()) {
            return "";
        }
        if (command.equals("uname -a")) {
            return UNAME + "\n";
        }
        return "nsh: " + command.split(" ")[0] + ": command not found\n";
    }
}
