package io.rptun.core.nuttx;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A model of NuttX's {@code rpmsg_ping.c} written from peers.md section 3, independent of {@link NuttxPing}:
 * the {@code rpmsg-ping} endpoint that answers requests and the {@code rpmsg ping} requester. It records
 * every message it receives, whole, so tests can check each field.
 */
final class NuttxPingModel {
    static final int ACK = 1;
    static final int CHECK = 2;
    static final int RANDOMLEN = 4;
    static final int RSP = 0x20;
    static final int SIZE = 17;

    /** A message as received: {@code cmd}, {@code len} field, cookie, all bytes. */
    record Ping(int cmd, int len, long cookie, byte[] bytes) {
        int length() {
            return bytes.length;
        }

        boolean filledWith(byte value) {
            for (int i = 16; i < bytes.length; i++) {
                if (bytes[i] != value) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Every request it received, in order. */
    final List<Ping> requests = new CopyOnWriteArrayList<>();
    /** Every response it received, in order. */
    final BlockingQueue<Ping> responses = new LinkedBlockingQueue<>();
    /** Checked requests whose fill was wrong (NuttX's "receive data error"). */
    volatile int dataErrors;
    /** When false the model takes requests and never answers (a stalled peer). */
    volatile boolean answering = true;
    final RpmsgEndpoint endpoint;

    NuttxPingModel(RpmsgDevice device) {
        this.endpoint = device.createEndpoint("rpmsg-ping", (ep, msg) -> onMessage(ep, msg.toByteArray()));
    }

    private void onMessage(RpmsgEndpoint ep, byte[] bytes) {
        ByteBuffer b = NuttxTestSupport.le(bytes);
        Ping p = new Ping(b.getInt(0), b.getInt(4), b.getLong(8), bytes);
        if ((p.cmd() & 0xF0) == RSP) {
            responses.add(p);
            return;
        }
        requests.add(p);
        if ((p.cmd() & ACK) == 0 || !answering) {
            return;
        }
        if ((p.cmd() & CHECK) != 0 && !p.filledWith(bytes[16])) {
            dataErrors++;
        }
        byte[] answer = bytes.clone();
        ByteBuffer a = NuttxTestSupport.le(answer);
        a.putInt(0, RSP);
        a.putInt(4, answer.length);
        ep.send(answer);
    }

    /** A request as NuttX's {@code rpmsg_ping_once} writes it. */
    static byte[] request(int cmd, int length, long cookie, byte fill) {
        ByteBuffer b = NuttxTestSupport.le(length);
        b.putInt(cmd).putInt(length).putLong(cookie);
        while (b.hasRemaining()) {
            b.put(fill);
        }
        return b.array();
    }

    /** Sends a request of {@code length} bytes, filled as NuttX fills it for ping {@code index}. */
    void sendRequest(int cmd, int length, long cookie, int index) {
        endpoint.send(request(cmd, length, cookie, (cmd & CHECK) != 0 ? (byte) index : 0));
    }
}
