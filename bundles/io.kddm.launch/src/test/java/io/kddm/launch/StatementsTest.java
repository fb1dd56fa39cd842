package io.kddm.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class StatementsTest {

    @Test
    void splitsAtTopLevelSeparatorsOnly() {
        assertEquals(List.of("kddm:nodes", "echo 'a;b'", "each [1 2] { echo $it; echo x }", "echo \"q\\\";\""),
                Statements.split("kddm:nodes; echo 'a;b'\n each [1 2] { echo $it; echo x };;echo \"q\\\";\""));
    }

    @Test
    void emptyScriptHasNoStatements() {
        assertEquals(List.of(), Statements.split(" ; \n "));
    }
}
