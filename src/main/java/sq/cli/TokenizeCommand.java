package sq.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sq.io.InputException;
import sq.io.Json;
import sq.tokenizer.Tokenizer;
import sq.tokenizer.chat.ChatMessage;
import sq.tokenizer.chat.ChatTemplate;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Token ids of a text with a Hugging Face tokenizer.json, exactly as HF tokenizers gives them;",
                "or a conversation rendered with the tokenizer's chat template and its ids.",
                "",
                "  sq tokenize --tokenizer DIR --text FILE [--special] [--json]",
                "  sq tokenize --tokenizer DIR --jsonl FILE [--special]        one {\"text\": ...} per line in, one {\"ids\": [...]} per line out",
                "  sq tokenize --tokenizer DIR --chat MESSAGES.json [--generation-prompt] --json",
                "",
                "Text files are read as raw UTF-8 bytes, with no newline conversion; invalid UTF-8 is an error.",
                "FILE may be - for standard input."})
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "A tokenizer.json, or the folder holding it (and tokenizer_config.json for --chat).")
    Path tokenizer;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "FILE", description = "Encode the whole file as one text.")
        Path text;

        @Option(names = "--jsonl", paramLabel = "FILE", description = "One JSON object {\"text\": ...} per line; prints {\"ids\": [...]} per line, in order.")
        Path jsonl;

        @Option(names = "--chat", paramLabel = "MESSAGES.json",
                description = "A JSON list of {\"role\", \"content\"} messages, rendered with the chat template; prints the rendering and its ids (no special tokens added).")
        Path chat;
    }

    @Option(names = "--special", description = "Add the special tokens the tokenizer's post-processor adds (e.g. Llama 2's BOS), as add_special_tokens=True.")
    boolean special;

    @Option(names = "--generation-prompt", description = "With --chat: end with the header of an assistant turn (add_generation_prompt=True).")
    boolean generationPrompt;

    @Option(names = "--json", description = "Print JSON: {\"ids\": [...]} for --text, {\"text\": ..., \"ids\": [...]} for --chat (--jsonl always prints JSON).")
    boolean json;

    @Override
    public Integer call() {
        if (input.chat != null && special) {
            throw new InputException("--special does not apply to --chat: the rendering carries its own special tokens (ids are encoded without adding any)");
        }
        if (input.chat == null && generationPrompt) throw new InputException("--generation-prompt needs --chat");
        Tokenizer tok = Tokenizer.load(tokenizer);
        // System.out is flushed, never closed
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        try {
            if (input.text != null) {
                int[] ids = encode(tok, read(input.text));
                out.write(json ? Json.MAPPER.writeValueAsString(idsObject(ids)) : joined(ids));
                out.write('\n');
            } else if (input.jsonl != null) {
                // every line is checked before anything is printed: no half output on a bad line
                List<String> texts = jsonlTexts(input.jsonl);
                for (String text : texts) {
                    out.write(Json.MAPPER.writeValueAsString(idsObject(encode(tok, text))));
                    out.write('\n');
                }
            } else {
                List<ChatMessage> messages = ChatMessage.read(input.chat);
                String text = ChatTemplate.load(tokenizer).render(messages, generationPrompt);
                int[] ids = tok.encode(text);
                if (json) {
                    ObjectNode o = Json.MAPPER.createObjectNode();
                    o.put("text", text);
                    o.set("ids", idsObject(ids).get("ids"));
                    out.write(Json.MAPPER.writeValueAsString(o));
                    out.write('\n');
                } else {
                    out.write(text);
                }
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }

    private int[] encode(Tokenizer tok, String text) {
        return special ? tok.encodeWithSpecialTokens(text) : tok.encode(text);
    }

    private static ObjectNode idsObject(int[] ids) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode a = o.putArray("ids");
        for (int id : ids) a.add(id);
        return o;
    }

    private static String joined(int[] ids) {
        StringBuilder b = new StringBuilder(ids.length * 6);
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) b.append(' ');
            b.append(ids[i]);
        }
        return b.toString();
    }

    /** The "text" of each line; a trailing empty line (the file's last newline) is not a record. */
    private static List<String> jsonlTexts(Path file) {
        String all = read(file);
        List<String> texts = new ArrayList<>();
        int lineNo = 0;
        for (int start = 0; start < all.length(); ) {
            int end = all.indexOf('\n', start);
            if (end < 0) end = all.length();
            String line = all.substring(start, end);
            start = end + 1;
            lineNo++;
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            String where = "line " + lineNo;
            if (line.isBlank()) throw InputException.of(file, where + ": empty line (expected a JSON object {\"text\": ...})");
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw InputException.of(file, where + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) throw InputException.of(file, where + ": expected a JSON object {\"text\": ...}");
            JsonNode text = node.get("text");
            if (text == null) throw InputException.of(file, where + ".text: missing");
            if (!text.isTextual()) throw InputException.of(file, where + ".text: expected a string, got " + text.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
            texts.add(text.asText());
        }
        return texts;
    }

    /** The file (or standard input for "-") as strict UTF-8; a bad byte is reported with its offset and line. */
    static String read(Path file) {
        byte[] bytes;
        try {
            bytes = file.toString().equals("-") ? System.in.readAllBytes() : Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw InputException.of(file, "no such file");
        } catch (IOException e) {
            throw InputException.of(file, Files.isDirectory(file) ? "is a folder, not a text file" : "cannot read: " + e.getMessage());
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) if (bytes[i] == '\n') line++;
            throw InputException.of(file, String.format("invalid UTF-8 at byte %d (line %d): 0x%02X", offset, line, bytes[offset] & 0xFF));
        }
        decoder.flush(out);
        return out.flip().toString();
    }
}
