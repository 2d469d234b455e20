package io.rptun.test.nuttx;

import static io.rptun.core.memory.WireLayouts.LE_U32;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * NuttX's {@code rpmsg-syslog} ({@code drivers/syslog/syslog_rpmsg.c} on the proxy,
 * {@code syslog_rpmsg_server.c} on the server).
 *
 * <pre>
 * 0   command u32   TRANSFER 0, SUSPEND 1, RESUME 2, SYNC 3
 * 4   result  i32
 * 8   count   i32   (TRANSFER) then count bytes of log text; (SYNC) a u64 cookie instead
 * </pre>
 *
 * Client: the endpoint is created when the rpmsg device comes up and the peer's cpu name is the syslog
 * server's ("server"); log text waits in a buffer and is sent, as much as a buffer holds per TRANSFER,
 * without waiting for a TX buffer (what is left goes at the next attempt: NuttX retries every 100 ms,
 * the model at every tick); SUSPEND/RESUME pause it; SYNC flushes, then echoes the message. Server: an
 * NS create for {@code rpmsg-syslog} binds an endpoint to it (and acknowledges it); TRANSFER text is
 * printed up to its last newline, the rest kept for the next one.
 */
public final class NuttxSyslog {
    public static final String NAME = "rpmsg-syslog";
    public static final int TRANSFER = 0;
    public static final int SUSPEND = 1;
    public static final int RESUME = 2;
    public static final int SYNC = 3;
    private static final int TRANSFER_HEADER = 12;

    private final NuttxRpmsg rpmsg;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile NuttxRpmsg.Endpoint endpoint;
    private volatile boolean suspended;

    private NuttxSyslog(NuttxRpmsg rpmsg) {
        this.rpmsg = rpmsg;
    }

    /** {@code syslog_rpmsg_device_created}: the client endpoint, if the peer is the syslog server. */
    public static NuttxSyslog client(NuttxRpmsg rpmsg, String serverName) {
        NuttxSyslog s = new NuttxSyslog(rpmsg);
        if (serverName.equals(rpmsg.remoteCpu())) {
            s.endpoint = rpmsg.createEndpoint(NAME, NuttxRpmsg.ADDR_ANY, s::onClientMessage);
        }
        return s;
    }

    /** {@code syslog_rpmsg_server_init}: binds an endpoint when the peer announces {@code rpmsg-syslog}. */
    public static NuttxSyslog server(NuttxRpmsg rpmsg) {
        return new NuttxSyslog(rpmsg);
    }

    /** {@code syslog_rpmsg_ns_bind}; false when {@code name} is not this service's. */
    public boolean bind(String name, int dest) {
        if (!NAME.equals(name)) {
            return false;
        }
        endpoint = rpmsg.createEndpoint(NAME, dest, this::onServerMessage);
        return true;
    }

    public NuttxRpmsg.Endpoint endpoint() {
        return endpoint;
    }

    /** Server: every complete line received so far, without its newline. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Client: log bytes sent in TRANSFER messages. */
    public long bytesSent() {
        return bytesSent.get();
    }

    /** Client: {@code syslog(...)}: the text is buffered and a transfer attempted at once. */
    public void log(String text) {
        synchronized (pending) {
            pending.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        }
        transfer();
    }

    /** Client: {@code syslog_rpmsg_transfer(priv, false)}; true when nothing is left. */
    public boolean transfer() {
        NuttxRpmsg.Endpoint e = endpoint;
        if (e == null || !e.ready() || suspended) {
            return false;
        }
        synchronized (pending) {
            byte[] all = pending.toByteArray();
            int off = 0;
            while (off < all.length) {
                int len = Math.min(all.length - off, rpmsg.maxPayload() - TRANSFER_HEADER);
                byte[] msg = new byte[TRANSFER_HEADER + len];
                MemorySegment seg = MemorySegment.ofArray(msg);
                seg.set(LE_U32, 0, TRANSFER);
                seg.set(LE_U32, 8, len);
                System.arraycopy(all, off, msg, TRANSFER_HEADER, len);
                if (!rpmsg.trySendRaw(e.addr(), e.dest(), msg)) {
                    break;
                }
                off += len;
                bytesSent.addAndGet(len);
            }
            pending.reset();
            pending.write(all, off, all.length - off);
            return pending.size() == 0;
        }
    }

    private void onClientMessage(NuttxRpmsg.Endpoint ept, byte[] data, int src) {
        if (data.length < 8) {
            return;
        }
        int command = MemorySegment.ofArray(data).get(LE_U32, 0);
        if (command == SUSPEND) {
            suspended = true;
        } else if (command == RESUME) {
            suspended = false;
            transfer();
        } else if (command == SYNC) {
            transfer();
            ept.send(data);
        }
    }

    private void onServerMessage(NuttxRpmsg.Endpoint ept, byte[] data, int src) {
        if (data.length < TRANSFER_HEADER || MemorySegment.ofArray(data).get(LE_U32, 0) != TRANSFER) {
            return;
        }
        int count = Math.max(0, Math.min(MemorySegment.ofArray(data).get(LE_U32, 8), data.length - TRANSFER_HEADER));
        synchronized (partial) {
            for (int i = 0; i < count; i++) {
                byte b = data[TRANSFER_HEADER + i];
                if (b == '\n') {
                    lines.add(partial.toString(StandardCharsets.UTF_8));
                    partial.reset();
                } else {
                    partial.write(b);
                }
            }
        }
    }
}
