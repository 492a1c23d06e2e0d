"""Stepped hints of chapter 8, shown by ``hint(name)``; see :mod:`course.hints`."""

from __future__ import annotations

HINTS: dict[str, tuple[str, ...]] = {
    "Dropout.__init__": (
        "コンストラクタの仕事は 3 つです: dropout_ratio (消す確率 p) が 0 以上 1 未満かを確かめる、"
        "引数を属性に保存する、self.mask を「まだ順伝播していない」印の None にしておく。8.3 節の「演習 "
        "1」の前の説明を読み直してください。",
        "範囲の外なら raise ValueError(...) で止めます (p = 1 では 1 − p = 0 で割ることになるため)。rng が None "
        "のときだけ np.random.default_rng() で新しい Generator を作り、渡されたときはそのオブジェクトをそのまま "
        "self.rng にします。",
        "よくある間違い: 渡された rng をコピーしたり作り直したりすること。同じシードの Generator を渡した 2 "
        "つのレイヤが同じマスクを作る、というテストの性質は、"
        "受け取ったオブジェクトをそのまま使うときだけ成り立ちます。None かどうかは `is None` で調べます。",
    ),
    "Dropout.forward": (
        "学習時は、x と同じ形状の「残すなら True」のマスクを毎回新しく引いて self.mask に保存し、残したユニットだけを "
        "1/(1 − p) 倍して通します。推論時 (train_flg=False) は何もせず x を返します。8.3 "
        "節の式と「乱数の扱い」を読み直してください。",
        "self.rng.random(形状) は [0, 1) の一様乱数の配列を返します。形状には x.shape を渡し、各成分が p "
        "を超えるかどうかを比べると、確率 1 − p で True になるブール配列になります。出力は x とマスクの要素ごとの積を "
        "1 − p で割った新しい配列です (x を *= で書き換えない)。",
        "推論時の分岐は、マスクを引くより前に置きます (推論時に乱数を引くと、その後のマスクがずれます)。数値の例: p = "
        "0.25、x = [[3., 6.]]、マスクが [[True, False]] なら、出力は [[4., 0.]] です。",
    ),
    "Dropout.backward": (
        "Dropout にはパラメータがないので、求めるのは入力についての勾配 ∂L/∂x だけです。8.3 節の逆伝播の式のとおり、"
        "順伝播と同じマスクと同じスケール 1/(1 − p) を dout に掛けます (要素ごとの積の微分です)。",
        "順伝播で保存した self.mask をそのまま使い、self.rng からは何も引きません。消したユニットの勾配は 0、"
        "残したユニットの勾配は dout を 1 − p で割った値で、戻り値の形状は dout と同じです。",
        "数値の例: p = 0.25 で dout がすべて 3 なら、残したユニットの勾配は 3 / 0.75 = 4、消したユニットは 0 です "
        "(8.3 節のテストと同じ数)。新しいマスクを引くと、順伝播とは別のネットワークの勾配になってしまいます。",
    ),
    "DropoutTwoLayerNet.__init__": (
        "使うレイヤは 5 つです: 1 つ目の Affine、ReLU、Dropout、2 つ目の Affine、最後の SoftmaxWithLoss。"
        "それぞれを属性に保存しておくと、predict と gradient から順番に呼べます。",
        "Affine には params の W1・b1 (2 つ目は W2・b2) の配列をそのまま渡します (コピーしない)。Dropout の rng は、"
        "引数の seed から np.random.default_rng で作った Generator です。seed はほかの用途に使いません。",
    ),
    "DropoutTwoLayerNet.predict": (
        "Affine → ReLU → Dropout → Affine の順に forward を呼び、前のレイヤの出力を次のレイヤに渡します。",
        "train_flg を受け取るのは Dropout の forward だけです。predict の引数 train_flg をそのまま Dropout に渡せば、"
        "学習時はマスクが引かれ、推論時はドロップアウトのないネットワークと同じ出力になります。",
    ),
    "DropoutTwoLayerNet.loss": (
        "損失は、スコアを最後のレイヤ (SoftmaxWithLoss) の forward に正解ラベルと一緒に渡した値です。",
        "スコアは predict で計算します。そのとき、loss が受け取った train_flg を "
        "predict に渡すのを忘れないでください。",
    ),
    "DropoutTwoLayerNet.gradient": (
        "まず学習時のモードで損失を 1 回だけ計算します。"
        "この順伝播で Dropout レイヤがマスクを引き、self.mask に保存します。",
        "次に、最後のレイヤの backward (dout = 1) から始めて、レイヤを順伝播と逆の順に backward します。"
        "途中でもう一度 forward を呼ぶとマスクが引き直されるので、呼ばないこと。",
        "勾配は 2 つの Affine レイヤの dW と db にあります。"
        "W1・b1 は 1 つ目、W2・b2 は 2 つ目の Affine から取り出し、辞書にして返します。",
    ),
    "DropoutScaleAtInference.__init__": (
        "演習 1 の Dropout のコンストラクタと同じ 3 つの属性 (消す確率、乱数生成器、"
        "まだ順伝播していない印の None) を用意します。"
        "ただし範囲の検査はしなくてかまいません。",
        "rng が None のときだけ np.random.default_rng() で新しい Generator を作り、"
        "渡されたときはそのオブジェクトをそのまま "
        "self.rng にします。",
    ),
    "DropoutScaleAtInference.forward": (
        "8.6 節の式のとおり、方式 A の学習時は消すだけ (大きさは変えない)、推論時は全体に残す確率 1 − p を掛けます。"
        "演習 1 の forward と、どこに 1 − p が入るかだけが違います。",
        "マスクの引き方と保存の仕方は演習 1 と同じです (学習時だけ引いて self.mask に保存する)。"
        "学習時の出力は x とマスクの要素ごとの積、"
        "推論時の出力は x の全体を何倍かした新しい配列です。推論時の分岐では self.mask に触れません。",
        "数値の例: p = 0.25、x = [[4., 8.]]、マスクが [[True, False]] なら、"
        "学習時の出力は [[4., 0.]]、推論時の出力は [[3., 6.]] です。",
    ),
    "DropoutScaleAtInference.backward": (
        "学習時の順伝播は x にマスクを要素ごとに掛けるだけなので、その微分はマスクそのものです (8.6 節の逆伝播の式)。",
        "self.mask (最後の学習時の forward のマスク) を dout に要素ごとに掛けます。1/(1 − p) も 1 − p も掛けません。"
        "数値の例: dout がすべて 3 なら、残したユニットの勾配は 3、消したユニットは 0 です。",
    ),
}
