"""Stepped hints of chapter 10, shown by ``hint(name)``; see :mod:`course.hints`."""

from __future__ import annotations

HINTS: dict[str, tuple[str, ...]] = {
    "MultiLayerNetExtend.__init__": (
        "作るものは params (重みとバイアス、use_batchnorm なら gamma と beta)、layers (OrderedDict)、last_layer と、"
        "docstring にある属性 (hidden_layer_num など) です。大きさを入力 D、隠れ層の大きさ、出力 C の順に 1 "
        "本のリストにすると、W{i} の形状は (i−1 番目, i 番目) の大きさになります。",
        "activation を確かめ (違えば ValueError)、rng が None なら np.random.default_rng() で作ります。重みは W1、W2、"
        "… の順に、rng.standard_normal で引いた形状 (n_in, n_out) の標準正規乱数に、_init_std の標準偏差 (n_in "
        "は前の層の大きさ) を掛けます。バイアスは np.zeros です。",
        "隠れ層 i ごとに 'Affine{i}'、['BatchNorm{i}']、'Activation{i}'、['Dropout{i}'] の順で layers に加え、最後の "
        "Affine と SoftmaxWithLoss で終えます。レイヤには params の配列そのもの (コピーではない) を渡すと、"
        "その場で更新された値をレイヤも使えます。Dropout には同じ rng を渡します。",
    ),
    "MultiLayerNetExtend._init_std": (
        "weight_init_std が文字列なら名前で初期値の種類を選び、数値ならその値をそのまま標準偏差にします。'relu'/'he' "
        "は He の初期値、'sigmoid'/'xavier' は Xavier の初期値 (10.1 節の表) で、given セルの he_std、xavier_std "
        "が使えます。",
        "isinstance で文字列かどうかを先に分けます。文字列は .lower() で小文字にしてから、in で 2 "
        "つの名前の組と比べます。どちらにも当たらない文字列は ValueError、数値は float にして返します。xavier_std "
        "には n_in だけを渡します (n_out は渡さない)。",
        "よくある間違い: 出力の数を渡すこと。標準偏差は「その層への入力の数」(W の行数) で決まります。例: n_in = 50 "
        "で 'relu' なら √(2/50) = 0.2 です。",
    ),
    "MultiLayerNetExtend.predict": (
        "入力 x を layers の順にすべてのレイヤへ通し、最後の Affine の出力 (スコア) を返します。last_layer "
        "(SoftmaxWithLoss) は通しません。学習時と推論時で振る舞いが違うのは BatchNormalization と Dropout だけです "
        "(10.1 節「学習モードと推論モード」)。",
        "self.layers.values() を for で回し、isinstance でレイヤの種類を調べます (クラスのタプルを渡せます)。"
        "BatchNormalization か Dropout なら forward に x と train_flg を、それ以外 (Affine、Relu、Sigmoid) には x "
        "だけを渡し、戻り値で x を置き換えていきます。",
    ),
    "MultiLayerNetExtend.loss": (
        "損失は 2 つの和です: スコアに対する交差エントロピー誤差 (last_layer の forward) と、荷重減衰の項 (λ/2) "
        "Σ‖W‖²。10.1 節の「荷重減衰 (L2 正則化)」の式を読み直してください。",
        "まず predict に x と train_flg を渡してスコアを求め、last_layer の forward にスコアと t を渡します。"
        "荷重減衰の項は、given セルの l2_penalty に params と weight_decay_lambda を渡せば求まります。train_flg を "
        "predict に渡し忘れると、gradient が学習モードになりません。",
    ),
    "MultiLayerNetExtend.accuracy": (
        "正解率は、スコアが一番大きいクラスがラベルと一致したサンプルの割合です。"
        "ドロップアウトやバッチ正規化の学習時の振る舞いが混ざらないように、必ず推論モード (train_flg=False) "
        "で予測します。",
        "predict に train_flg=False を渡して求めたスコアと t を、given セルの補助関数 _accuracy に渡すだけです。"
        "_accuracy は t がラベル (N,) でも one-hot (N, C) でも扱え、float を返します。",
    ),
    "MultiLayerNetExtend.numerical_gradient": (
        "第 5 章の TwoLayerNet の数値微分と同じ考え方です。パラメータの配列ごとに、"
        "given の numerical_gradient(f, 配列) で学習モードの損失の中心差分を求めます。"
        "この関数は配列の成分をその場で動かすので、f は引数を使わずに損失を返す関数でかまいません。",
        "引数を 1 つ受け取って無視し、self.loss に x、t と train_flg=True を渡した値を返す関数 (関数の中の def か "
        "lambda) を作ります。self.params の各キーについて、その関数とそのキーの配列を numerical_gradient に渡し、"
        "結果をキーごとの辞書にまとめて返します。",
        "ドロップアウトありのネットワークでは、損失を測るたびにマスクが変わるので数値微分が合いません (10.1 節)。"
        "確かめるときはドロップアウトなしで使います。",
    ),
    "MultiLayerNetExtend.gradient": (
        "まず学習モードで順伝播し (loss に train_flg=True)、各レイヤに逆伝播に必要な値を残します。次に last_layer "
        "から始めて layers を逆順にたどり、backward を呼びます。最後に各レイヤが保存した勾配を params "
        "と同じキーの辞書に集めます (10.1 節)。",
        "last_layer の backward には 1.0 を渡し、その戻り値を reversed(self.layers.values()) の順に各レイヤの "
        "backward へ渡していきます。W{i} の勾配は Affine{i} の dW に λW (given の l2_penalty_grad の 'W{i}') "
        "を足したもの、b{i} は Affine{i} の db です。",
        "use_batchnorm のときは、隠れ層 i = 1..L について gamma{i}、beta{i} の勾配を BatchNorm{i} の dgamma、dbeta "
        "から取ります。最後の Affine は L+1 番目で、BatchNorm はありません。キーを f-string で組み立てると、i "
        "についての for 1 つで書けます。",
    ),
    "Trainer.__init__": (
        "コンストラクタの仕事は、引数を属性に保存し、最適化手法のオブジェクト self.optimizer、乱数生成器 self.rng、"
        "記録用の辞書 self.history を作ることです。10.2 節の箇条書きの __init__ を読み直してください。",
        "最適化手法は、名前を .lower() で小文字にしてから OPTIMIZERS でクラスを引き、optimizer_param "
        "の中身をキーワード引数として (** で展開して) 渡して作ります。optimizer_param が None "
        "なら空の辞書を代わりに使います。名前が OPTIMIZERS にないときは ValueError。",
        "self.history は 'train_loss'、'train_acc'、'test_acc' の 3 つのキーに空のリストを持つ辞書です。self.rng は "
        "seed から 1 回だけ作り、train の並べ替えはすべてこれから引きます (同じ seed なら同じ学習になります)。",
    ),
    "Trainer.train_step": (
        "1 回の更新は、勾配を求める → 損失を取っておく → 最適化手法でパラメータを更新する、の順です。"
        "返す損失は更新前のもので、gradient の中の順伝播で network.last_layer.loss に入った値です "
        "(荷重減衰の項は含まない。10.2 節)。",
        "self.network の gradient にミニバッチを渡して勾配の辞書を受け取り、その直後に last_layer.loss を float "
        "にして取っておきます。次に self.optimizer の update に network の params と勾配の辞書を渡し、"
        "最後に取っておいた損失を返します。",
        "よくある間違い: 更新の後に network.loss で損失を計り直すこと。更新後のパラメータでの値になるうえ、"
        "荷重減衰の項も入ってしまいます。",
    ),
    "Trainer._evaluate": (
        "訓練データとテストデータのそれぞれについて network.accuracy で正解率を求め、(訓練, テスト) の組で返します。"
        "evaluate_sample_num が None でなければ、どちらのデータも先頭のその個数だけを使います "
        "(大きなデータでの時間の節約)。",
        "evaluate_sample_num が None かどうかで分け、数値ならスライス [:個数] で x と t "
        "の両方の先頭を同じ個数だけ切り出します。None ならデータ全体を使います。"
        "訓練データとテストデータの両方に同じ規則を当てはめます。",
    ),
    "Trainer.train": (
        "epochs 回のエポックを回し、各エポックで (1) 訓練データの添字を self.rng で並べ替える、(2) 前から batch_size "
        "個ずつ train_step を呼び、損失を history['train_loss'] に追加する、(3) エポックの終わりに _evaluate の 2 "
        "つの正解率を追加する。最後に self.history を返します。",
        "並べ替えは self.rng の permutation にデータの個数 N を渡し、エポックのループの中で毎回呼びます。range(0, N, "
        "batch_size) で開始位置を回し、並べ替えた添字をスライスで切り出して x_train と t_train の両方に使います。"
        "最後のミニバッチは端数のままです。",
        "進捗バーは、セットアップのセルで読み込んだ progress でエポックの range を包むと表示されます (show_progress "
        "が False なら disable に)。表示しなくても採点には影響しません。",
    ),
    "train_validation_split": (
        "サンプルの添字 0..N−1 をランダムに並べ替え、その一部を検証データ、残りを訓練データにします。x と t "
        "は必ず同じ添字で取り出します (別々に並べ替えると画像とラベルの対応が壊れます)。10.3 "
        "節の最後の段落を読み直してください。",
        "まず validation_ratio が 0 < r < 1 か、x と t のサンプル数 (先頭の軸の長さ) が同じかを確かめ、違えば "
        "ValueError。次に seed から作った Generator の permutation で添字の並びを 1 回だけ作り、検証データの個数で 2 "
        "つに切り分け、添字の配列で x と t を取り出します。",
        "例: N = 10、validation_ratio = 0.25 なら、検証データは 2.5 を切り捨てた 2 個、訓練データは 8 個です。"
        "permutation を 2 回呼ぶと別の並びになり、訓練と検証が重なってしまいます。",
    ),
    "sample_config": (
        "学習率と λ は、値そのものではなく「指数」を一様に選び、10 をその指数で累乗します (対数スケール)。"
        "値そのものを一様に選ぶと、範囲の上の桁ばかりが選ばれます (10.4 節)。",
        "引数の rng の uniform に下限と上限を渡すと、その間の一様乱数が 1 つ返ります。学習率の指数は −3.5〜−2.5、"
        "λ の指数は −6〜−3 です。累乗は ** で書き、float() で 1 つの数にします。"
        "np.random.uniform などは rng とは別の乱数なので使いません。",
        "残りの 2 つのキーは固定の値です (隠れ層は 100 と 100 の 2 層、バッチ正規化は使う)。"
        "例: 指数が −3 なら学習率は 10 の −3 乗、つまり 0.001 です。",
    ),
    "random_search": (
        "探索は 3 段階です: (1) seed から乱数生成器を 1 つ作る、"
        "(2) 試行ごとに sample_config でその生成器から設定を引き、evaluate で 1 回だけ評価して、"
        "試行番号・設定・評価の結果を 1 つの辞書にまとめてリストに加える、"
        "(3) 最後に検証正解率の高い順に並べる。",
        "試行番号は range の開始を 1 にすると 1 から数えられます。evaluate が返した辞書は、** で展開すると新しい辞書に"
        "まとめて入れられます。乱数生成器は for の前に 1 回だけ作ります (for の中で作ると、毎回同じ設定が出ます)。",
        "並べ替えは sorted (またはリストの sort) の key に「val_acc を取り出す関数」を渡し、"
        "reverse=True で大きい順にします。"
        "Python の並べ替えは安定 (同じ値どうしは元の順番のまま) なので、試行の順に加えたリストなら、"
        "同点は試行番号の小さい順に残ります。",
    ),
    "average_probabilities": (
        "モデル平均では、スコアではなく確率を平均します。K "
        "個のモデルのスコアそれぞれにソフトマックスをかけて確率にしてから、モデルについて平均を取ります。10.7 "
        "節の式を読み直してください。",
        "scores_list は for で 1 つずつ取り出せます (リストでも形状 (K, N, C) の配列でも同じ)。given の softmax "
        "をかけた K 個の (N, C) の配列を並べ、np.mean で axis=0 (モデルの軸) について平均すると (N, C) になります。",
        "例: 確率 [1/2, 1/2] と [3/4, 1/4] の平均は [5/8, 3/8] です。"
        "先にスコアを平均してからソフトマックスをかけると別の値になるので、テストに落ちます。",
    ),
    "augment_digits": (
        "画像ごとに (d_y, d_x) を選び、8 × 8 の画像を上下左右に動かします。動かした先で枠の外へ出た画素は捨て、"
        "外から入ってくる場所は 0 にします。10.8 節の演習 7 の説明を読み直してください。",
        "まず 0 の配列 (形状 (N, 8, 8)) を用意し、入力を reshape で (N, 8, 8) にします。rng の integers で "
        "−max_shift 以上 max_shift 以下の整数を選び (上限は含まれないので 1 足す)、画像ごとに「元の画像のどの範囲が、"
        "出力のどの範囲に写るか」をスライスで決めて代入します。最後に (N, 64) に戻してノイズを足します。",
        "例: d_y = 1 なら、元の 0〜6 行目が出力の 1〜7 行目に入り、出力の 0 行目は 0 のままです。d_y = −1 なら、"
        "元の 1〜7 行目が出力の 0〜6 行目に入ります。ノイズは rng の standard_normal に noise_std を掛けたものです。",
    ),
    "train_final_model": (
        "10.5 節の学習に、データ拡張を 1 つ加えるだけです。augment_digits でずらした訓練画像の組を何組か作り、"
        "元の訓練画像と合わせた大きな訓練データで学習します。ラベルは、元の画像のラベルをその組の数だけ並べます。",
        "seed から作った Generator を augment_digits に渡します。np.concatenate で画像を、np.tile か "
        "np.concatenate でラベルを合わせます。ネットワークは config の値で MultiLayerNetExtend を作り、Trainer "
        "(optimizer='adam') で学習率 config['lr'] の学習と、その 1/10 の学習の 2 回に分けて学習します。",
        "データが 5 倍なら、1 エポックの更新回数も 5 倍です。10.5 節と同じくらいの時間にするなら、エポック数を "
        "8 と 2 くらいに減らします。ずらしたテスト画像 x_shifted は学習に使いません。",
    ),
}
