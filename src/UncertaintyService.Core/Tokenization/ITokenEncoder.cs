namespace UncertaintyService.Core.Tokenization;

/// <summary>Text to token ids as one tokenizer family does it, without the BOS/EOS a prompt adds.</summary>
internal interface ITokenEncoder
{
    List<int> Encode(string text);

    /// <summary>The vocabulary's spelling of a token (for example "▁A" or "ĠA").</summary>
    string Piece(int id);

    /// <summary>The id of a vocabulary entry spelled exactly so, or null.</summary>
    int? PieceId(string piece);

    int VocabularySize { get; }
}
