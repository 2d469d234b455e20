package io.rptun.core.nuttx;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Models of NuttX's two syslog sides written from peers.md section 3 and NuttX's behaviour, independent of
 * the production classes: {@code header {u32 command, i32 result}}, TRANSFER 0 {@code {header, i32 count,
 * data}}, SUSPEND 1, RESUME 2, SYNC 3 {@code {header, u64 cookie}}.
 */
final class NuttxSyslogModels {
    static final String NAME = "rpmsg-syslog";

    private NuttxSyslogModels() {
    }

    /** One message as received: command, result, all bytes. */
    record Message(int command, int result, byte[] bytes) {
        int count() {
            return NuttxTestSupport.le(bytes).getInt(8);
        }

        long cookie() {
            return NuttxTestSupport.le(bytes).getLong(8);
        }

        String data() {
            return new String(bytes, 12, bytes.length - 12, StandardCharsets.UTF_8);
        }
    }

    static byte[] header(int command) {
        return NuttxTestSupport.le(8).putInt(command).putInt(0).array();
    }

    static byte[] sync(long cookie) {
        return NuttxTestSupport.le(16).putInt(3).putInt(0).putLong(cookie).array();
    }

    static byte[] transfer(byte[] data) {
        ByteBuffer b = NuttxTestSupport.le(12 + data.length).putInt(0).putInt(0).putInt(data.length);
        return b.put(data).array();
    }

    /** NuttX's server ({@code syslog_rpmsg_server.c}): keeps every message; sends SUSPEND/RESUME/SYNC. */
    static final class Server {
        final RpmsgEndpoint endpoint;
        final List<Message> transfers = new CopyOnWriteArrayList<>();
        final BlockingQueue<Message> syncEchoes = new LinkedBlockingQueue<>();
        private final ByteArrayOutputStream text = new ByteArrayOutputStream();

        Server(RpmsgDevice device) {
            endpoint = device.createEndpoint(NAME, (ep, msg) -> {
                byte[] bytes = msg.toByteArray();
                ByteBuffer b = NuttxTestSupport.le(bytes);
                Message m = new Message(b.getInt(0), b.getInt(4), bytes);
                if (m.command() == 0) {
                    synchronized (text) {
                        text.write(bytes, 12, bytes.length - 12);
                    }
                    transfers.add(m);
                } else if (m.command() == 3) {
                    syncEchoes.add(m);
                }
            });
        }

        String text() {
            synchronized (text) {
                return text.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** NuttX's client ({@code syslog_rpmsg.c}): sends what it is given; on SYNC sends what it holds, then echoes. */
    static final class Client {
        final RpmsgEndpoint endpoint;
        final BlockingQueue<Message> commands = new LinkedBlockingQueue<>();
        /** Text it holds until the next SYNC. */
        volatile byte[] held = new byte[0];

        Client(RpmsgDevice device) {
            endpoint = device.createEndpoint(NAME, (ep, msg) -> {
                byte[] bytes = msg.toByteArray();
                ByteBuffer b = NuttxTestSupport.le(bytes);
                commands.add(new Message(b.getInt(0), b.getInt(4), bytes));
                if (b.getInt(0) == 3) {
                    if (held.length > 0) {
                        ep.send(transfer(held));
                        held = new byte[0];
                    }
                    ep.send(bytes);
                }
            });
        }

        void send(String text) {
            endpoint.send(transfer(text.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
