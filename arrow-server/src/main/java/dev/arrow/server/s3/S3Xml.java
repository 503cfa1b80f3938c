package dev.arrow.server.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/** S3's XML: documents written as S3 writes them, and the few request bodies S3 takes, read without DTDs or entities. */
final class S3Xml {

    static final String NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final StringBuilder out = new StringBuilder(256).append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

    private S3Xml() {
    }

    /** A document whose root element is {@code root}, in S3's namespace. */
    static S3Xml document(String root) {
        S3Xml xml = new S3Xml();
        xml.out.append('<').append(root).append(" xmlns=\"").append(NAMESPACE).append("\">");
        return xml;
    }

    /** A document whose root carries no namespace, as S3's error documents. */
    static S3Xml bare(String root) {
        S3Xml xml = new S3Xml();
        xml.out.append('<').append(root).append('>');
        return xml;
    }

    S3Xml open(String name) {
        out.append('<').append(name).append('>');
        return this;
    }

    S3Xml close(String name) {
        out.append("</").append(name).append('>');
        return this;
    }

    S3Xml element(String name, String text) {
        out.append('<').append(name).append('>');
        escape(text);
        out.append("</").append(name).append('>');
        return this;
    }

    S3Xml element(String name, long value) {
        return element(name, Long.toString(value));
    }

    S3Xml element(String name, boolean value) {
        return element(name, Boolean.toString(value));
    }

    byte[] end(String root) {
        close(root);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void escape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> {
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        out.append("&#x").append(Integer.toHexString(c)).append(';');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    static String time(Instant instant) {
        return ISO_MILLIS.format(instant);
    }

    /** S3's error document. */
    static byte[] error(String code, String message, String resource, String requestId, Map<String, String> details) {
        S3Xml xml = bare("Error").element("Code", code).element("Message", message);
        details.forEach(xml::element);
        if (resource != null) {
            xml.element("Resource", resource);
        }
        return xml.element("RequestId", requestId).end("Error");
    }

    /** Parses a request body; anything but well-formed XML without a DTD is MalformedXML. */
    static Element parse(byte[] body) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler()); // throws on fatal errors, prints nothing
            Document document = builder.parse(new ByteArrayInputStream(body));
            return document.getDocumentElement();
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw S3Error.malformedXml();
        }
    }

    /** The child elements of {@code parent} with that local name. */
    static List<Element> children(Element parent, String name) {
        var found = new ArrayList<Element>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && name.equals(localName(element))) {
                found.add(element);
            }
        }
        return found;
    }

    /** The text of the one child of that name; null when there is none. */
    static String text(Element parent, String name) {
        List<Element> found = children(parent, name);
        if (found.size() > 1) {
            throw S3Error.malformedXml();
        }
        return found.isEmpty() ? null : found.getFirst().getTextContent();
    }

    static String localName(Element element) {
        return element.getLocalName() != null ? element.getLocalName() : element.getTagName();
    }
}
