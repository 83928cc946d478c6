namespace UncertaintyService.Data.Tests.Support;

/// <summary>Lines copied verbatim from WordNet 3.0's data files (Debian wordnet-base 1:3.0-37), trailing spaces included.</summary>
internal static class RealWordNetLines
{
    public const string LicenseLine1 = "  1 This software and database is being provided to you, the LICENSEE, by  ";
    public const string LicenseLine29 = "  29 Princeton University and LICENSEE agrees to preserve same.  ";

    public const string Entity =
        "00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 ~ 00002137 n 0000 ~ 04424418 n 0000 | that which is perceived or known or inferred to have its own distinct existence (living or nonliving)  ";

    public const string Dog =
        "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 023 @ 02083346 n 0000 @ 01317541 n 0000 #m 02083863 n 0000 #m 07994941 n 0000 ~ 01322604 n 0000 ~ 02084732 n 0000 ~ 02084861 n 0000 ~ 02085272 n 0000 ~ 02085374 n 0000 ~ 02087122 n 0000 ~ 02103406 n 0000 ~ 02110341 n 0000 ~ 02110806 n 0000 ~ 02110958 n 0000 ~ 02111129 n 0000 ~ 02111277 n 0000 ~ 02111500 n 0000 ~ 02111626 n 0000 ~ 02112497 n 0000 ~ 02112826 n 0000 ~ 02113335 n 0000 ~ 02113978 n 0000 %p 02158846 n 0000 | a member of the genus Canis (probably descended from the common wolf) that has been domesticated by man since prehistoric times; occurs in many breeds; \"the dog barked all night\"  ";

    // w_cnt "0a" is hexadecimal: ten words, and "deviltry 1" has lex_id 1.
    public const string Mischief =
        "00736375 04 n 0a mischief 0 mischief-making 0 mischievousness 0 deviltry 1 devilry 1 devilment 0 rascality 0 roguery 0 roguishness 0 shenanigan 0 010 @ 00735936 n 0000 + 01224964 a 0902 + 01787973 v 060d + 01787973 v 050d + 01787973 v 040d + 01162633 a 0301 + 01162633 a 0101 ~ 00736786 n 0000 ~ 00736894 n 0000 ~ 01249816 n 0000 | reckless or malicious behavior that causes discomfort or annoyance in others  ";

    // An attribution after the closing quote belongs to neither definition nor example.
    public const string Permutation =
        "00399223 04 n 01 permutation 0 001 @ 00398704 n 0000 | complete change in character or condition; \"the permutations...taking place in the physical world\"- Henry Miller  ";

    // Verb lines carry frames ("02 + 02 00 + 08 00") between the pointers and the gloss.
    public const string Breathe =
        "00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 021 * 00005041 v 0000 * 00004227 v 0000 + 03110323 a 0301 + 00831191 n 0303 + 04080833 n 0301 + 04250850 n 0105 + 00831191 n 0101 ^ 00004227 v 0103 ^ 00005041 v 0103 $ 00002325 v 0000 $ 00002573 v 0000 ~ 00002573 v 0000 ~ 00002724 v 0000 ~ 00002942 v 0000 ~ 00003826 v 0000 ~ 00004032 v 0000 ~ 00004227 v 0000 ~ 00005041 v 0000 ~ 00006697 v 0000 ~ 00007328 v 0000 ~ 00017031 v 0000 02 + 02 00 + 08 00 | draw air into, and expel out of, the lungs; \"I can breathe better when the air is clean\"; \"The patient is respiring\"  ";
}
