package io.kddm.ipc.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.kddm.ipc.Errno;
import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcException;
import io.kddm.ipc.SemOp;

/** The commands' arguments: a wrong one is one line naming it, then the usage; never an exception out of a command. */
class ArgsTest {
    @Test
    void optionsValuesAndPositionalsAreParsed() {
        Args a = new Args(new String[] {"5", "--type", "-2", "--nowait", "--wait", "1.5"}, Set.of("--nowait"),
                Set.of("--type", "--wait"));
        assertEquals(1, a.count(1, 1).positional.size());
        assertEquals("-2", a.option("--type", "0"));
        assertTrue(a.has("--nowait"));
        assertEquals(Duration.ofMillis(1500), a.seconds("--wait", Duration.ZERO));
        assertEquals(0x1234, Args.key("0x1234"));
        assertEquals(Ipc.IPC_PRIVATE, Args.key("IPC_PRIVATE"));
        assertEquals(0xFFFF_FFFFL, Args.key("-1")); // a key_t printed signed
        assertEquals(0640, Args.mode("0640"));
    }

    @Test
    void wrongArgumentsAreOneLineAndTheUsage() {
        assertEquals("msg:send: unknown option --bogus\nusage: msg:send " + MsgCommands.SEND, Commands.run("msg:send",
                MsgCommands.SEND, () -> new Args(new String[] {"--bogus"}, Set.of(), Set.of()).toString()));
        assertEquals("x: 1 argument expected, not 0\nusage: x U", Commands.run("x", "U",
                () -> new Args(new String[0], Set.of(), Set.of()).count(1, 1).toString()));
        assertThrows(Args.Wrong.class, () -> Args.key("0x1FFFFFFFF"));
        assertThrows(Args.Wrong.class, () -> Args.key("abc"));
        assertThrows(Args.Wrong.class, () -> Args.mode("999"));
        assertThrows(Args.Wrong.class, () -> new Args(new String[] {"--wait"}, Set.of(), Set.of("--wait")));
        assertThrows(Args.Wrong.class, () -> new Args(new String[] {"--wait", "soon"}, Set.of(), Set.of("--wait"))
                .seconds("--wait", Duration.ZERO));
        assertEquals("sem:op: EAGAIN: busy", Commands.run("sem:op", "", () -> {
            throw new IpcException(Errno.EAGAIN, "busy");
        }));
    }

    @Test
    void semaphoreOperationsParse() {
        assertEquals(new SemOp(0, -1, Ipc.SEM_UNDO), SemOp.parse("0:-1:undo"));
        assertEquals(new SemOp(1, 1, 0), SemOp.parse("1:+1"));
        assertEquals(new SemOp(2, 0, Ipc.IPC_NOWAIT | Ipc.SEM_UNDO), SemOp.parse("2:0:nowait:undo"));
        assertEquals("0:-1:undo", SemOp.parse("0:-1:undo").toString());
        assertEquals(Errno.EINVAL, assertThrows(IpcException.class, () -> SemOp.parse("0")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IpcException.class, () -> SemOp.parse("0:x")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IpcException.class, () -> SemOp.parse("0:1:later")).errno());
    }
}
