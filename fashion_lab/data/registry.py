"""Registry of the real fashion datasets: where they come from, their files and checksums.

:func:`fashion_lab.data.locate.locate_dataset` finds a dataset's folder on disk (or downloads it
where a public URL exists) and checks every file against the sha256 recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fashion_lab._checks import check_choice


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    Attributes:
        path: path relative to the dataset folder, with ``/`` separators.
        sha256: sha256 of the file's bytes as registered.
        url: public direct-download address, or None when the source needs a login.
        content_sha256: for ``.gz`` files, sha256 of the decompressed content. A file is also
            accepted when only this one matches, so that re-compressing the same content (which
            changes the gzip header) does not fail the check.
        optional: whether the dataset is usable without this file. An optional file is still
            checked when present.
    """

    path: str
    sha256: str
    url: str | None = None
    content_sha256: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class Dataset:
    """A registered dataset and how to obtain it.

    Attributes:
        name: registry key, also the name of the dataset's folder.
        title: human-readable title.
        licence: licence or terms of use, as far as they are known.
        homepage: canonical public address of the original data set.
        files: the files of the dataset folder.
        text_kind: what kind of text the dataset contributes.
        instructions: exact steps to obtain the files by hand (needed where a login is required).
    """

    name: str
    title: str
    licence: str
    homepage: str
    files: tuple[DataFile, ...]
    text_kind: str
    instructions: str

    @property
    def required_files(self) -> tuple[DataFile, ...]:
        """Files that must be present for the dataset to load."""
        return tuple(f for f in self.files if not f.optional)

    @property
    def downloadable(self) -> bool:
        """Whether every required file has a public URL, so that it can be downloaded."""
        return all(f.url for f in self.required_files)


# Raw files pinned to the commit whose bytes the sha256 values below were computed from.
_FASHIONIQ_RAW = (
    "https://raw.githubusercontent.com/XiaoxiaoGuo/fashion-iq/"
    "f71b16c3b09ef03b02c0fed160fa072fb3b8aa16"
)
# sha256 of captions/cap.<category>.<split>.json, by <category>.<split>.
_FASHIONIQ_CAPTIONS = {
    "dress.train": "1691bd52e5bbda755b0c1f14d1024000be2c57a0cc29511a327af1372636a946",
    "dress.val": "5e5117d45695df9c3ca91fac3e0bc49e6422ae9c8b3793f0ac9b3ab83adb7de9",
    "dress.test": "190240b3b4d115cd4f80de65ab78ca18a3f8581c041cbeea6f5a1f57ee4f5a48",
    "shirt.train": "0999ce5da01a38f0cef1547941b738f4c56e225fdd9b8e03e2a6edaf292f94c3",
    "shirt.val": "7b7ca3797b85dddfd83e74cdb4454cb63e3e7c09acef2590155efbacea6d7feb",
    "shirt.test": "27c7551b005d4befa53135a7ddee5e31c97821eafd3ceb3fec514e7ac0ad83a7",
    "toptee.train": "6daa171a9e744823087780a3b69b8b697bd05526adb6dd55a38ee6c4904ab348",
    "toptee.val": "b4e09f428e6c255cc4b4ec46e77908305ab83075d82840c960be81af15cdc5eb",
    "toptee.test": "db822aa52340ce1f09c3000064f79b60b6c476b50b98bf34200dd2996c06e146",
}
# sha256 of image_splits/split.<category>.<split>.json (ASIN pools, not needed by the loader).
_FASHIONIQ_IMAGE_SPLITS = {
    "dress.train": "dcb1c7329003e85e39a3010147a620cee4b7de6a5ddf2626f253bc9a2cdd78e5",
    "dress.val": "21ff91d53c23859da91bfd49f3acc139b7f3a3dc944fc4e4a80194468cf14bab",
    "dress.test": "1d1d3af24b9ec4ed3f7805c53a870148df9b51e232b32912505d8ae54718353d",
    "shirt.train": "1552c05d866d31b43321a719b2cb8a65f02c53e9a6bc355861fe1d62498b9983",
    "shirt.val": "b82effbf7352a6f828b38c45eb32e53d726bd4d6fd81d6290c81eeb2c68e3234",
    "shirt.test": "8d243830e80e77c23c8dc9a85db87813230d38da146f0706082db812f591968b",
    "toptee.train": "aa9b3a55332340f21360fb6a3fe174badd27ce389fe7d78d890bf2b9032ffe05",
    "toptee.val": "ee42b2505275dd7a19b11ddb88c9264aab2d77f4e59b075fb1c7c3095d02f412",
    "toptee.test": "25a30d4f4013a04026585399b10980db7cba39dfaad0d97a0671a62e2125ddbf",
}


def _fashioniq_files() -> tuple[DataFile, ...]:
    files = []
    for key, sha256 in _FASHIONIQ_CAPTIONS.items():
        path = f"captions/cap.{key}.json"
        files.append(DataFile(path, sha256, url=f"{_FASHIONIQ_RAW}/{path}"))
    for key, sha256 in _FASHIONIQ_IMAGE_SPLITS.items():
        path = f"image_splits/split.{key}.json"
        files.append(DataFile(path, sha256, url=f"{_FASHIONIQ_RAW}/{path}", optional=True))
    return tuple(files)


_DATASET_LIST = [
    Dataset(
        name="hm_articles",
        title="H&M Personalized Fashion Recommendations: article catalogue",
        licence="Kaggle competition data: research and non-commercial use under the competition "
        "rules, accepted on Kaggle before download",
        homepage="https://www.kaggle.com/competitions/"
        "h-and-m-personalized-fashion-recommendations/data",
        files=(
            DataFile(
                "articles.parquet",
                "a1e2d315a36f96772cc15c210cd7e467b371e42b8423b6a219a0cc15ecf1b3be",
            ),
        ),
        text_kind="product descriptions (detail_desc) of 105,542 article colour variants",
        instructions=(
            "Accept the competition rules on Kaggle, then run `kaggle competitions download -c "
            "h-and-m-personalized-fashion-recommendations -f articles.csv`. The registered "
            "articles.parquet is that CSV converted to Parquet by the public GitHub repository "
            "Tisha1503/HM-Fashion-Recommender (file articles.parquet). A Parquet file you write "
            "yourself has a different sha256, so load your own articles.csv with "
            "fashion_lab.data.load_table(path, text_column='detail_desc', id_column='article_id', "
            "product_column='product_code', category_column='product_type_name') instead."
        ),
    ),
    Dataset(
        name="fashion_product_images_styles",
        title="Fashion Product Images: styles.csv (catalogue titles and taxonomy)",
        licence="MIT, as declared on the Kaggle dataset page",
        homepage="https://www.kaggle.com/datasets/paramaggarwal/fashion-product-images-small",
        files=(
            DataFile(
                "styles.csv.gz",
                "ab427f313a13c7cd4893cfa5952750a3c6cfe86b140871020af713bbf0bf9e12",
                content_sha256="cd86bd2d71b4065ed91786a52aa6ccc0eed343949791c663be9af35f105a128c",
            ),
            DataFile(
                "styles_clean.csv.gz",
                "25d521853fc3bebc04f27a4782a3c00bf51c8fa086fd4f8e0a7dfa4064f6a56c",
                content_sha256="2714952515fad34b1820436a0dc42d08e1201810642673e5ffdb1b36ea16c5c3",
                optional=True,
            ),
        ),
        text_kind="catalogue product titles (productDisplayName) of 44,446 products",
        instructions=(
            "Run `kaggle datasets download -d paramaggarwal/fashion-product-images-small --unzip` "
            "(about 593 MB with images), keep only styles.csv and compress it with "
            "`gzip -n styles.csv`. styles_clean.csv.gz is optional: without it the loader repairs "
            "the 22 rows whose names contain unquoted commas."
        ),
    ),
    Dataset(
        name="myntra_products_catalog",
        title="Myntra fashion products catalogue (titles and descriptions)",
        licence="unknown: not stated by the copy's source; treat as research-only until the "
        "Kaggle page's licence is checked",
        homepage="https://www.kaggle.com/datasets/shivamb/fashion-clothing-products-catalog",
        files=(
            DataFile(
                "myntra_products_catalog.csv.gz",
                "53101db54fd52a0c19020e985922947252aa7950e43eafed26d2e483b646803f",
                content_sha256="41a53fb79223dde5775c2812d451ce361d7f21a77f5a1a7dedb1cb06587254af",
            ),
        ),
        text_kind="product descriptions and titles of 12,491 products",
        instructions=(
            "Run `kaggle datasets download -d shivamb/fashion-clothing-products-catalog --unzip`, "
            "then `gzip -n myntra_products_catalog.csv`."
        ),
    ),
    Dataset(
        name="womens_clothing_reviews",
        title="Women's E-Commerce Clothing Reviews",
        licence="CC0: Public Domain",
        homepage="https://www.kaggle.com/datasets/nicapotato/womens-ecommerce-clothing-reviews",
        files=(
            DataFile(
                "Womens_Clothing_E-Commerce_Reviews.csv.gz",
                "542b0ebf03dfea1f42c02eb8f3b0ede76742ae9045ec14c75bd32747b2144d5e",
                content_sha256="bd93cc515747ad1f87b8bc863c9e40da758509e6db6506a96d06976e61e36ee0",
            ),
        ),
        text_kind="customer reviews (title and text) of 23,486 purchases",
        instructions=(
            "Run `kaggle datasets download -d nicapotato/womens-ecommerce-clothing-reviews "
            "--unzip`, rename 'Womens Clothing E-Commerce Reviews.csv' to "
            "Womens_Clothing_E-Commerce_Reviews.csv and compress it with "
            "`gzip -n Womens_Clothing_E-Commerce_Reviews.csv`."
        ),
    ),
    Dataset(
        name="amazon_qa_clothing",
        title="Amazon product Q&A: Clothing, Shoes and Jewelry",
        licence="none stated: distributed by Julian McAuley's lab (UCSD) for research use",
        homepage="https://cseweb.ucsd.edu/~jmcauley/datasets/amazon/qa/",
        files=(
            # The UCSD server's gzip bytes differ from the registered copy (re-compressed), so a
            # download passes the check through the sha256 of the decompressed JSON lines.
            DataFile(
                "qa_Clothing_Shoes_and_Jewelry.json.gz",
                "cf87f6c43a0b96051636645228d0e303531139060bfd6a434e92fba153db93e2",
                url="https://mcauleylab.ucsd.edu/public_datasets/data/amazon/qa/"
                "qa_Clothing_Shoes_and_Jewelry.json.gz",
                content_sha256="e9263e8558354f2eaa427a9c9948d9d6497f185df967e9d68d885367498d5289",
            ),
        ),
        text_kind="customer questions with one answer each, 22,068 pairs on 2,899 products",
        instructions=(
            "load_dataset downloads it when download=True. By hand: `curl -O "
            "https://mcauleylab.ucsd.edu/public_datasets/data/amazon/qa/"
            "qa_Clothing_Shoes_and_Jewelry.json.gz`."
        ),
    ),
    Dataset(
        name="fashioniq_captions",
        title="Fashion IQ relative captions (text only)",
        licence="Community Data License Agreement (the authors' README does not say which "
        "variant); product images are Amazon's and not included",
        homepage="https://github.com/XiaoxiaoGuo/fashion-iq",
        files=_fashioniq_files(),
        text_kind="crowd-written captions saying how a wanted product differs from a shown one, "
        "60,268 captions for dresses, shirts and tops",
        instructions=(
            "load_dataset downloads it when download=True. By hand: `git clone "
            "https://github.com/XiaoxiaoGuo/fashion-iq` and copy its captions/ folder (and "
            "optionally image_splits/) into the dataset folder."
        ),
    ),
]

#: The registered datasets, by name. Each name is also the dataset's folder name.
DATASETS: dict[str, Dataset] = {dataset.name: dataset for dataset in _DATASET_LIST}


def get_dataset(name: str) -> Dataset:
    """Return the registered dataset `name`.

    Raises:
        ValueError: `name` is not registered. The message lists the registered names.
    """
    check_choice("dataset name", name, DATASETS)
    return DATASETS[name]
