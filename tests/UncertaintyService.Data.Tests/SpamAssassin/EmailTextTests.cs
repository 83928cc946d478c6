namespace UncertaintyService.Data.Tests.SpamAssassin;

public sealed class EmailTextTests
{
    // The shape of the corpus's files: mbox "From " line, folded headers, blank line, body.
    private const string PlainHam =
        "From exmh-workers-admin@redhat.com  Thu Aug 22 12:36:23 2002\n" +
        "Return-Path: <exmh-workers-admin@spamassassin.taint.org>\n" +
        "Received: from localhost (localhost [127.0.0.1])\n" +
        "\tby phobos.labs.netnoteinc.com (Postfix) with ESMTP id D03E543C36\n" +
        "\tfor <zzzz@localhost>; Thu, 22 Aug 2002 07:36:16 -0400 (EDT)\n" +
        "Subject: Re: New Sequences Window\n" +
        "\n" +
        "    Date:        Wed, 21 Aug 2002 10:54:46 -0500\n" +
        "    From:        Chris Garrigues <cwg-dated-1030377287.06fa6d@DeepEddy.Com>\n" +
        "\n" +
        "  | I can't reproduce this error.\n";

    private const string MultipartSpam =
        "From iq@insurancemail.net  Fri Aug 23 11:17:41 2002\n" +
        "Subject: Save 84% on CE Credits\n" +
        "MIME-Version: 1.0\n" +
        "Content-Type: multipart/alternative; boundary=\"----=_NextPart_000_3257B2_01C249FA.18BC9920\"\n" +
        "\n" +
        "This is a multi-part message in MIME format.\n" +
        "\n" +
        "------=_NextPart_000_3257B2_01C249FA.18BC9920\n" +
        "Content-Type: text/plain;\n" +
        "\tcharset=\"Windows-1252\"\n" +
        "Content-Transfer-Encoding: 7bit\n" +
        "\n" +
        " Save 84% on C.E. Credits & Pre-Licensing Courses\n" +
        "*\tNo Hidden Fees\n" +
        "Legal Notice <http://www.insuranceiq.com/legal.htm>  \n" +
        "\n" +
        "------=_NextPart_000_3257B2_01C249FA.18BC9920\n" +
        "Content-Type: text/html;\n" +
        "\tcharset=\"iso-8859-1\"\n" +
        "Content-Transfer-Encoding: base64\n" +
        "\n" +
        "PGh0bWw+PGJvZHk+PGRpdiBpZD0ibWVzc2FnZUJvZHkiPjxkaXY+PGZvbnQg\n" +
        "ZmFjZT0iQXJpYWwiIHNpemU9IjIiPlRoaXMgbWVzc2FnZSBpcyBzZW50IHRv\n" +
        "IG91ciBzdWJzY3JpYmVycyBvbmx5Lg==\n" +
        "\n" +
        "------=_NextPart_000_3257B2_01C249FA.18BC9920--\n";

    [Fact]
    public void HeadersGoAndWhitespaceCollapses()
    {
        Assert.Equal(
            "Date: Wed, 21 Aug 2002 10:54:46 -0500 From: Chris Garrigues <cwg-dated-1030377287.06fa6d@DeepEddy.Com> | I can't reproduce this error.",
            EmailText.Clean(PlainHam));
    }

    [Fact]
    public void BoundariesPartHeadersAndBase64PartsGo()
    {
        Assert.Equal(
            "This is a multi-part message in MIME format. Save 84% on C.E. Credits & Pre-Licensing Courses * No Hidden Fees Legal Notice <http://www.insuranceiq.com/legal.htm>",
            EmailText.Clean(MultipartSpam));
    }

    [Fact]
    public void WindowsLineEndingsEndTheHeadersToo()
    {
        Assert.Equal(EmailText.Clean(PlainHam), EmailText.Clean(PlainHam.Replace("\n", "\r\n")));
    }

    [Fact]
    public void HtmlTagsCommentsAndScriptsGoButAddressesInAnglesStay()
    {
        const string html =
            "Subject: hi\n\n<HTML><BODY><!-- saved from url=3D(0022)http://internet.e-mail -->\n" +
            "<SCRIPT language=3DJavaScript1.2>\nfunction nocontextmenu() { return false; }\n</SCRIPT>\n" +
            "<p align=3D\"center\">Win <b>big</b> now</p>\nWrite to <john@example.com></BODY></HTML>\n";

        Assert.Equal("Win big now Write to <john@example.com>", EmailText.Clean(html));
    }

    [Fact]
    public void WholeBodyDeclaredBase64IsDropped()
    {
        const string base64 =
            "Subject: hi\nContent-Transfer-Encoding: base64\n\nPGh0bWw+PGJvZHk+PGRpdiBpZD0ibWVzc2FnZUJvZHkiPjxkaXY+PGZvbnQg\nIG91ciBzdWJzY3JpYmVycyBvbmx5Lg==\n";

        Assert.Equal("", EmailText.Clean(base64));
    }

    [Fact]
    public void MailWithoutABlankLineHasNoBody()
    {
        Assert.Equal("", EmailText.Clean("From: a@b.c\nSubject: only headers"));
    }

    [Fact]
    public void TextIsCutToTheMaximumLength()
    {
        var words = string.Join(' ', Enumerable.Repeat("spam", 400)); // 1,999 characters
        var mail = "Subject: x\n\n" + words;

        Assert.Equal(1000, EmailText.DefaultMaxCharacters);
        Assert.Equal(words[..1000].TrimEnd(), EmailText.Clean(mail)); // character 1,000 is a space, trimmed
        Assert.Equal(words[..998], EmailText.Clean(mail, maxCharacters: 998));
        Assert.Equal("spam spam", EmailText.Clean(mail, maxCharacters: 10)); // "spam spam " cut, trailing space trimmed
        Assert.Equal(words, EmailText.Clean(mail, maxCharacters: 5000));
    }

    [Fact]
    public void CutNeverSplitsASurrogatePair()
    {
        var mail = "Subject: x\n\nab\U0001F600cd";

        Assert.Equal("ab", EmailText.Clean(mail, maxCharacters: 3));
        Assert.Equal("ab\U0001F600", EmailText.Clean(mail, maxCharacters: 4));
    }
}
